# caldaq — see README.md. `make` builds build/caldaq; `make check` installs
# what is missing (tools/install-deps) and runs every test; `make demo` runs
# a full example; `make bench` prints benchmark figures.

PREFIX  ?= /usr/local
DESTDIR ?=
SANITIZE ?= 0

ifeq ($(SANITIZE),1)
BUILD   ?= build/asan
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
else
BUILD   ?= build
SANFLAGS :=
endif

CC      ?= cc
PKGS    := gsl yaml-0.1 jansson libserialport libmodbus hdf5 libsodium cairo pangocairo fontconfig libqrencode libxml-2.0
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

OPT     ?= -O2
CFLAGS  ?= $(OPT) -g
CFLAGS  += -std=c17 -D_XOPEN_SOURCE=700 -Wall -Wextra -Werror -pthread $(SANFLAGS)
CPPFLAGS += -Icommon -Iuncertainty -Iprofiles -Idrivers -Idaq $(PKG_CFLAGS)
LDFLAGS += -pthread $(SANFLAGS)
LDLIBS  += $(PKG_LIBS) -lutil -lm

# Modules, bottom up: each is a static library built from its folder.
COMMON_SRC := $(wildcard common/*.c)
UNC_SRC    := $(wildcard uncertainty/*.c)
PROF_SRC   := $(wildcard profiles/*.c)
DRV_SRC    := $(wildcard drivers/*.c drivers/*/*.c)
DAQ_SRC    := $(filter-out daq/main.c,$(wildcard daq/*.c))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

LIB_COMMON := $(BUILD)/libcaldaq_common.a
LIB_UNC    := $(BUILD)/libcaldaq_unc.a
LIB_PROF   := $(BUILD)/libcaldaq_prof.a
LIB_DRV    := $(BUILD)/libcaldaq_drv.a
LIB_DAQ    := $(BUILD)/libcaldaq_daq.a
LIBS       := $(LIB_DAQ) $(LIB_DRV) $(LIB_PROF) $(LIB_UNC) $(LIB_COMMON)
CALDAQ     := $(BUILD)/caldaq

UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
E2E_TESTS  := $(sort $(wildcard tests/e2e/*.sh))
BENCH_BIN  := $(BUILD)/bench_mcm

.PHONY: all deps check test unit e2e demo bench install clean killtest
all: $(CALDAQ) $(BUILD)/gen_archive

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIB_COMMON): $(call obj,$(COMMON_SRC))
	@rm -f $@
	$(AR) rcs $@ $^

$(LIB_UNC): $(call obj,$(UNC_SRC))
	@rm -f $@
	$(AR) rcs $@ $^

$(LIB_PROF): $(call obj,$(PROF_SRC))
	@rm -f $@
	$(AR) rcs $@ $^

$(LIB_DRV): $(call obj,$(DRV_SRC))
	@rm -f $@
	$(AR) rcs $@ $^

$(LIB_DAQ): $(call obj,$(DAQ_SRC))
	@rm -f $@
	$(AR) rcs $@ $^

$(CALDAQ): $(call obj,daq/main.c) $(LIBS)
	$(CC) $(LDFLAGS) -o $@ $(call obj,daq/main.c) $(LIBS) $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -DREFERENCE_DIR='"$(REFERENCE_DIR)"' -o $@ $< $(LIBS) \
	    $(LDFLAGS) $(LDLIBS) $(CMOCKA_LIBS)

$(BENCH_BIN): tools/bench/bench_mcm.c $(LIBS)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LIBS) $(LDFLAGS) $(LDLIBS)

$(BUILD)/bench_run: tools/bench/bench_run.c $(LIBS)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LIBS) $(LDFLAGS) $(LDLIBS)

$(BUILD)/bench_replay: tools/bench/bench_replay.c $(LIBS)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LIBS) $(LDFLAGS) $(LDLIBS)

# tools/gen-archive: a synthetic archive of run files for batch tests.
$(BUILD)/gen_archive: tools/gen_archive.c $(LIBS)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LIBS) $(LDFLAGS) $(LDLIBS)

$(BUILD)/bench_open: tools/bench/bench_open.c $(LIBS)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LIBS) $(LDFLAGS) $(LDLIBS)

$(BUILD)/bench_cert: tools/bench/bench_cert.c $(LIBS)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LIBS) $(LDFLAGS) $(LDLIBS)

# libmatheval only for the comparison that justifies our own evaluator.
$(BUILD)/bench_expr: tools/bench/bench_expr.c $(LIBS)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LIBS) $(LDFLAGS) $(LDLIBS) -lmatheval

# The published reference data lives beside the checkout (../shared).
REFERENCE_DIR ?= $(abspath ../shared/reference)

deps:
	@tools/install-deps

# `check` installs first, then re-reads this Makefile so that pkg-config
# sees what was just installed.
check: deps
	@$(MAKE) --no-print-directory test

test: unit e2e
test: fuzz-replay

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

# runfile.sh writes its sample run with test_run --write-sample.
e2e: $(CALDAQ) $(BUILD)/tests/test_run
	@set -e; for t in $(E2E_TESTS); do echo "== $$t"; \
	    CALDAQ=$(abspath $(CALDAQ)) REFERENCE_DIR=$(REFERENCE_DIR) bash $$t; done

# Until calibration sessions exist, the demo evaluates the shipped example
# models (GUM H.1, JCGM 101 9.3) and reads a simulated balance into a run.
demo: deps
	@$(MAKE) --no-print-directory $(CALDAQ)
	$(CALDAQ) demo --out build/demo

bench: deps
	@tools/install-deps --bench
	@$(MAKE) --no-print-directory OPT=-O3 BUILD=build/bench build/bench/bench_mcm \
	    build/bench/bench_expr build/bench/bench_replay build/bench/bench_run \
	    build/bench/bench_cert build/bench/bench_open build/bench/caldaq
	build/bench/bench_expr
	tools/bench/run
	build/bench/bench_replay
	build/bench/bench_run
	tools/bench/cert
	tools/bench/reprocess

# The crash-safety test with more kills than make check runs.
killtest: $(CALDAQ)
	CALDAQ=$(abspath $(CALDAQ)) KILLTEST_N=$${KILLTEST_N:-500} bash tests/e2e/killtest.sh

install: $(CALDAQ)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include/caldaq
	install -m 755 $(CALDAQ) $(DESTDIR)$(PREFIX)/bin/caldaq
	install -m 644 $(LIB_UNC) $(LIB_COMMON) $(DESTDIR)$(PREFIX)/lib/
	install -m 644 uncertainty/unc.h common/cd.h $(DESTDIR)$(PREFIX)/include/caldaq/
	install -d $(DESTDIR)$(PREFIX)/share/caldaq/profiles/standards
	install -m 644 profiles/*.yaml $(DESTDIR)$(PREFIX)/share/caldaq/profiles/
	install -m 644 profiles/standards/*.yaml $(DESTDIR)$(PREFIX)/share/caldaq/profiles/standards/

clean:
	rm -rf build

# --- fuzzing --- (docs/fuzzing.md)
# One harness per parser of outside input: tests/fuzz/fuzz_<target>.c.
# `make fuzz` builds them with Debian's clang and libFuzzer (ASan + UBSan,
# in build/fuzz) and runs each for FUZZ_SECONDS, or only FUZZ_TARGET;
# `make fuzz-replay` (part of `make test`) runs every saved input of
# tests/fuzz/corpus/ and tests/fuzz/regressions/ through the same harnesses
# built with $(CC) and the usual SANITIZE flags, without libFuzzer.
FUZZ_TARGETS := $(sort $(patsubst tests/fuzz/fuzz_%.c,%,$(filter-out tests/fuzz/fuzz_util.c,\
                    $(wildcard tests/fuzz/fuzz_*.c))))
FUZZ_TARGET  ?= $(FUZZ_TARGETS)
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
# (SANFLAGS come after -Wall.) clang only: daq/run.c skips the "# " of its
# journal keys with "KEY" + 2 on purpose, which -Wstring-plus-int (not in
# gcc) takes for a mistake.
FUZZ_SAN     := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all \
                -fno-omit-frame-pointer -Wno-string-plus-int
FUZZ_OPT     := -O1
FUZZ_DEPS    := tests/fuzz/fuzz_util.c $(wildcard tests/fuzz/*.h)
REPLAY_BINS  := $(patsubst %,$(BUILD)/fuzz-replay/fuzz_%,$(FUZZ_TARGETS))

.PHONY: fuzz fuzz-build fuzz-merge fuzz-replay

$(BUILD)/fuzz-replay/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/replay_main.c $(FUZZ_DEPS) $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/fuzz $(CFLAGS) -o $@ $< tests/fuzz/replay_main.c \
	    tests/fuzz/fuzz_util.c $(LIBS) $(LDFLAGS) $(LDLIBS)

fuzz-replay: $(REPLAY_BINS)
	@set -e; for t in $(FUZZ_TARGETS); do \
	    $(BUILD)/fuzz-replay/fuzz_$$t fuzz_$$t tests/fuzz/corpus/$$t tests/fuzz/regressions/$$t; \
	done

# Built by a second make with BUILD=build/fuzz, so the libraries are
# instrumented too.
$(BUILD)/libfuzzer/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_DEPS) $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/fuzz $(CFLAGS) -fsanitize=fuzzer -o $@ $< \
	    tests/fuzz/fuzz_util.c $(LIBS) $(LDFLAGS) $(LDLIBS)

fuzz-build:
	@tools/install-deps --fuzz
	@$(MAKE) --no-print-directory BUILD=build/fuzz CC=$(FUZZ_CC) OPT='$(FUZZ_OPT)' \
	    SANFLAGS='$(FUZZ_SAN)' \
	    $(patsubst %,build/fuzz/libfuzzer/fuzz_%,$(FUZZ_TARGET))

fuzz: fuzz-build
	@tests/fuzz/run --seconds $(FUZZ_SECONDS) $(FUZZ_TARGET)

# Fold what `make fuzz` found (build/fuzz/corpus/T) into the seeds, minimised.
fuzz-merge: fuzz-build
	@tests/fuzz/run --merge $(FUZZ_TARGET)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
