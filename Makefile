# caldaq — see README.md. `make` builds build/caldaq; `make check` installs
# what is missing (tools/install-deps) and runs every test; `make demo` runs
# a full example; `make bench` prints benchmark figures; `make install` and
# `make deb` (the Debian packages): docs/packaging.md.

PREFIX  ?= /usr/local
# Where make install puts the compiled translations; the program looks there
# unless told otherwise (common/cd_i18n.h, cd_locale_dir()).
LOCALEDIR ?= $(PREFIX)/share/locale
DESTDIR ?=
# Where `make install` puts each piece (docs/packaging.md). The library goes
# into the multiarch folder (lib/x86_64-linux-gnu) where the compiler has one.
MULTIARCH  := $(shell $(CC) -print-multiarch 2>/dev/null)
BINDIR     ?= $(PREFIX)/bin
LIBDIR     ?= $(PREFIX)/lib$(if $(MULTIARCH),/$(MULTIARCH))
INCLUDEDIR ?= $(PREFIX)/include
DATADIR    ?= $(PREFIX)/share/caldaq
MANDIR     ?= $(PREFIX)/share/man
DOCDIR     ?= $(PREFIX)/share/doc/caldaq
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
# udev rules and systemd units: under /lib for PREFIX=/usr (where Debian 12
# packages put them), else under PREFIX/lib, which udev (udev(7), "Rules
# files") and systemd (systemd.unit(5), "Unit File Load Path") also read for
# /usr/local.
UDEVRULESDIR   ?= $(if $(filter /usr,$(PREFIX)),,$(PREFIX))/lib/udev/rules.d
SYSTEMDUNITDIR ?= $(if $(filter /usr,$(PREFIX)),,$(PREFIX))/lib/systemd/system
SANITIZE ?= 0

ifeq ($(SANITIZE),1)
BUILD   ?= build/asan
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all \
            -DCALDAQ_LEAK_CHECK
else
BUILD   ?= build
SANFLAGS :=
endif

CC      ?= cc
PKGS    := gsl yaml-0.1 jansson libserialport libmodbus hdf5 libsodium cairo pangocairo fontconfig libqrencode libxml-2.0 \
           sqlite3 libpq libmicrohttpd
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

OPT     ?= -O2
CFLAGS  ?= $(OPT) -g
CFLAGS  += -std=c17 -D_XOPEN_SOURCE=700 -Wall -Wextra -Werror -pthread $(SANFLAGS)
# daq/ is one folder per job, bottom up (docs/ARCHITECTURE.md); each folder's
# public header is reached by its bare name. tests/layering.sh keeps the
# includes pointing one way.
DAQ_MODULES := store analysis records session cert reprocess portal cli
CPPFLAGS += -Icommon -Iuncertainty -Iprofiles -Idrivers $(addprefix -Idaq/,$(DAQ_MODULES)) $(PKG_CFLAGS)
LDFLAGS += -pthread $(SANFLAGS)
LDLIBS  += $(PKG_LIBS) -lutil -lm

# Modules, bottom up: each is a static library built from its folder.
COMMON_SRC := $(wildcard common/*.c)
UNC_SRC    := $(wildcard uncertainty/*.c)
PROF_SRC   := $(wildcard profiles/*.c)
DRV_SRC    := $(wildcard drivers/*.c drivers/*/*.c)
STORE_SRC  := $(wildcard daq/store/*.c)
ANA_SRC    := $(wildcard daq/analysis/*.c)
REC_SRC    := $(wildcard daq/records/*.c)
SES_SRC    := $(wildcard daq/session/*.c)
CERT_SRC   := $(wildcard daq/cert/*.c)
RP_SRC     := $(wildcard daq/reprocess/*.c)
PORTAL_SRC := $(wildcard daq/portal/*.c)
CLI_SRC    := $(filter-out daq/cli/main.c,$(wildcard daq/cli/*.c))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

LIB_COMMON := $(BUILD)/libcaldaq_common.a
LIB_UNC    := $(BUILD)/libcaldaq_unc.a
LIB_PROF   := $(BUILD)/libcaldaq_prof.a
LIB_DRV    := $(BUILD)/libcaldaq_drv.a
LIB_STORE  := $(BUILD)/libcaldaq_store.a
LIB_ANA    := $(BUILD)/libcaldaq_analysis.a
LIB_REC    := $(BUILD)/libcaldaq_records.a
LIB_SES    := $(BUILD)/libcaldaq_session.a
LIB_CERT   := $(BUILD)/libcaldaq_cert.a
LIB_RP     := $(BUILD)/libcaldaq_reprocess.a
LIB_PORTAL := $(BUILD)/libcaldaq_portal.a
LIB_CLI    := $(BUILD)/libcaldaq_cli.a
# Link order: a library before the ones it uses.
LIBS       := $(LIB_CLI) $(LIB_PORTAL) $(LIB_RP) $(LIB_CERT) $(LIB_SES) $(LIB_REC) $(LIB_ANA) $(LIB_STORE) \
              $(LIB_DRV) $(LIB_PROF) $(LIB_UNC) $(LIB_COMMON)
CALDAQ     := $(BUILD)/caldaq

# The GUM engine (uncertainty/ + common/) also as a shared library for a
# lab's own programs, libcaldaq-gum.so.0, exporting only what unc.h and cd.h
# declare (a version script made from the two headers); caldaq itself links
# the static libraries. docs/packaging.md.
VERSION     := $(shell sed -n 's/^\#define CALDAQ_VERSION "\(.*\)"$$/\1/p' daq/cli/main.c)
GUM_SOMAJOR := 0
GUM_SONAME  := libcaldaq-gum.so.$(GUM_SOMAJOR)
LIB_GUM     := $(BUILD)/libcaldaq-gum.so.$(VERSION)
GUM_HEADERS := uncertainty/unc.h common/cd.h
GUM_PIC     := $(patsubst %.c,$(BUILD)/pic/%.o,$(UNC_SRC) $(COMMON_SRC))
GUM_LIBS    := $(shell pkg-config --libs gsl yaml-0.1 2>/dev/null) -lm
GUM_PC      := $(BUILD)/caldaq-gum.pc
# Generated at build time from build/caldaq (tools/gen-man, tools/gen-completion).
MAN_STAMP   := $(BUILD)/man/.stamp
COMPLETION  := $(BUILD)/completion/caldaq

UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
E2E_TESTS  := $(sort $(wildcard tests/e2e/*.sh))
# The fuzz targets (tests/fuzz/fuzz_T.c, docs/fuzzing.md); their corpora are
# replayed by make test.
FUZZ_TARGETS := $(sort $(patsubst tests/fuzz/fuzz_%.c,%,$(filter-out tests/fuzz/fuzz_util.c,\
                    $(wildcard tests/fuzz/fuzz_*.c))))
REPLAY_BINS  := $(patsubst %,$(BUILD)/fuzz-replay/fuzz_%,$(FUZZ_TARGETS))
BENCH_BIN  := $(BUILD)/bench_mcm

.PHONY: all deps check test unit e2e demo bench install clean killtest layering pot man deb FORCE
all: $(CALDAQ) $(BUILD)/gen_archive $(LIB_GUM) $(GUM_PC)

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

$(LIB_STORE): $(call obj,$(STORE_SRC))
	@rm -f $@
	$(AR) rcs $@ $^

$(LIB_ANA): $(call obj,$(ANA_SRC))
	@rm -f $@
	$(AR) rcs $@ $^

$(LIB_REC): $(call obj,$(REC_SRC))
	@rm -f $@
	$(AR) rcs $@ $^

$(LIB_SES): $(call obj,$(SES_SRC))
	@rm -f $@
	$(AR) rcs $@ $^

$(LIB_CERT): $(call obj,$(CERT_SRC))
	@rm -f $@
	$(AR) rcs $@ $^

$(LIB_RP): $(call obj,$(RP_SRC))
	@rm -f $@
	$(AR) rcs $@ $^

$(LIB_PORTAL): $(call obj,$(PORTAL_SRC))
	@rm -f $@
	$(AR) rcs $@ $^

$(LIB_CLI): $(call obj,$(CLI_SRC))
	@rm -f $@
	$(AR) rcs $@ $^

# Translations (docs/i18n.md): po/LINGUAS names the languages, po/LANG.po
# holds each one's texts; msgfmt compiles them beside the program
# (build/locale/LANG/LC_MESSAGES/caldaq.mo), where build/caldaq finds them.
LINGUAS  := $(shell cat po/LINGUAS 2>/dev/null)
MO_FILES := $(foreach l,$(LINGUAS),$(BUILD)/locale/$(l)/LC_MESSAGES/caldaq.mo)

$(BUILD)/locale/%/LC_MESSAGES/caldaq.mo: po/%.po
	@mkdir -p $(dir $@)
	msgfmt --check -o $@ $<

$(BUILD)/obj/common/cd_i18n.o: CPPFLAGS += -DCD_LOCALEDIR='"$(LOCALEDIR)"'
$(BUILD)/pic/common/cd_i18n.o: CPPFLAGS += -DCD_LOCALEDIR='"$(LOCALEDIR)"'
$(BUILD)/obj/common/cd_i18n.o $(BUILD)/pic/common/cd_i18n.o: $(BUILD)/paths

# po/caldaq.pot, the template a translator starts from: every _() and N_()
# text of the program's sources.
I18N_SRC := $(sort $(COMMON_SRC) $(UNC_SRC) $(PROF_SRC) $(DRV_SRC) $(STORE_SRC) $(ANA_SRC) \
              $(REC_SRC) $(SES_SRC) $(CERT_SRC) $(RP_SRC) $(PORTAL_SRC) $(CLI_SRC) daq/cli/main.c \
              $(wildcard common/*.h uncertainty/*.h profiles/*.h drivers/*.h drivers/*/*.h daq/*/*.h))
pot:
	xgettext --from-code=UTF-8 --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 \
	    --add-comments=TRANSLATORS: \
	    --package-name=caldaq --msgid-bugs-address= --sort-by-file -o po/caldaq.pot $(I18N_SRC)

$(CALDAQ): $(call obj,daq/cli/main.c) $(LIBS) $(MO_FILES)
	$(CC) $(LDFLAGS) -o $@ $(call obj,daq/cli/main.c) $(LIBS) $(LDLIBS)

# The folders compiled into the program and the .pc file: rewritten only
# when one changes, so that `make PREFIX=/usr` rebuilds what holds them.
PATHS := PREFIX=$(PREFIX) LIBDIR=$(LIBDIR) INCLUDEDIR=$(INCLUDEDIR) DATADIR=$(DATADIR) \
         LOCALEDIR=$(LOCALEDIR) DOCDIR=$(DOCDIR) VERSION=$(VERSION)
$(BUILD)/paths: FORCE
	@mkdir -p $(dir $@)
	@echo '$(PATHS)' | cmp -s - $@ || echo '$(PATHS)' > $@

# The shipped profiles and examples of an installation (cli_find_data()).
$(BUILD)/obj/daq/cli/cli.o: $(BUILD)/paths
$(BUILD)/obj/daq/cli/cli.o: CPPFLAGS += -DCALDAQ_DATADIR='"$(DATADIR)"'

$(BUILD)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -fPIC -MMD -MP -c $< -o $@

# Exported: every global symbol the engine's objects define that unc.h or
# cd.h names; everything else (the expression evaluator, the YAML helpers,
# the statistics) stays local to the library.
$(BUILD)/caldaq-gum.map: $(GUM_PIC) $(GUM_HEADERS)
	cat $(GUM_HEADERS) | tr -cs 'A-Za-z0-9_' '\n' | sort -u > $@.words
	{ echo 'CALDAQ_GUM_$(GUM_SOMAJOR) {'; echo 'global:'; \
	  nm -g --defined-only $(GUM_PIC) | awk 'NF == 3 {print $$3}' | sort -u | \
	      comm -12 - $@.words | sed 's/.*/    &;/'; \
	  echo 'local:'; echo '    *;'; echo '};'; } > $@.tmp
	rm -f $@.words
	mv $@.tmp $@

$(LIB_GUM): $(GUM_PIC) $(BUILD)/caldaq-gum.map
	$(CC) -shared $(LDFLAGS) -Wl,-soname,$(GUM_SONAME) -Wl,--version-script=$(BUILD)/caldaq-gum.map \
	    -Wl,--no-undefined -Wl,--as-needed -o $@ $(GUM_PIC) $(GUM_LIBS)
	ln -sf $(notdir $@) $(BUILD)/$(GUM_SONAME)
	ln -sf $(GUM_SONAME) $(BUILD)/libcaldaq-gum.so

$(GUM_PC): uncertainty/caldaq-gum.pc.in $(BUILD)/paths
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
	    -e 's|@VERSION@|$(VERSION)|' $< > $@

# A manual page for caldaq and one for each subcommand (caldaq-gum.1 ...),
# by help2man from their --help.
man: $(MAN_STAMP)
$(MAN_STAMP): $(CALDAQ) tools/gen-man $(BUILD)/paths
	tools/gen-man $(CALDAQ) $(dir $@) $(DATADIR) $(DOCDIR)
	@touch $@

$(COMPLETION): $(CALDAQ) tools/gen-completion
	@mkdir -p $(dir $@)
	tools/gen-completion $(CALDAQ) > $@.tmp
	mv $@.tmp $@

# Each unit test links the module it tests and what that module may use
# (tests/layering.sh), nothing above it: the GUM engine's tests link only
# the engine, which is how a lab would use it on its own.
LIBS_UNC    := $(LIB_UNC) $(LIB_COMMON)
LIBS_DRV    := $(LIB_DRV) $(LIB_COMMON)
LIBS_PROF   := $(LIB_PROF) $(LIBS_UNC)
LIBS_STORE  := $(LIB_STORE) $(LIB_DRV) $(LIB_PROF) $(LIB_UNC) $(LIB_COMMON)
LIBS_ANA    := $(LIB_ANA) $(LIBS_STORE)
LIBS_REC    := $(LIB_REC) $(LIBS_STORE)
LIBS_CERT   := $(LIB_CERT) $(LIB_REC) $(LIBS_ANA)
LIBS_SES    := $(LIB_SES) $(LIBS_ANA)
test_libs = $(or $(LIBS_FOR_$(1)),$(LIBS))
LIBS_FOR_test_csv        := $(LIB_COMMON)
LIBS_FOR_test_zone       := $(LIB_COMMON)
LIBS_FOR_test_i18n       := $(LIB_COMMON)
LIBS_FOR_test_gum        := $(LIBS_UNC)
LIBS_FOR_test_fit        := $(LIBS_UNC)
LIBS_FOR_test_decision   := $(LIBS_UNC)
LIBS_FOR_test_model_file := $(LIBS_UNC)
LIBS_FOR_test_expr       := $(LIBS_UNC)
LIBS_FOR_test_mcm        := $(LIBS_UNC)
LIBS_FOR_test_balances   := $(LIBS_DRV)
LIBS_FOR_test_indicators := $(LIBS_DRV)
LIBS_FOR_test_dmm_gauge  := $(LIBS_DRV)
LIBS_FOR_test_thermometers := $(LIBS_DRV)
LIBS_FOR_test_cvd        := $(LIBS_UNC)
LIBS_FOR_test_modbus     := $(LIBS_DRV)
LIBS_FOR_test_ports      := $(LIBS_DRV)
LIBS_FOR_test_port_lock  := $(LIBS_DRV)
LIBS_FOR_test_replay     := $(LIBS_DRV)
LIBS_FOR_test_sim        := $(LIBS_DRV)
LIBS_FOR_test_trace      := $(LIBS_DRV)
LIBS_FOR_test_profile    := $(LIBS_PROF)
LIBS_FOR_test_standards  := $(LIBS_PROF)
LIBS_FOR_test_tolerance  := $(LIBS_PROF)
LIBS_FOR_test_verification := $(LIBS_PROF)
LIBS_FOR_test_run        := $(LIBS_STORE)
LIBS_FOR_test_run_damaged := $(LIBS_STORE)
LIBS_FOR_test_analysis   := $(LIBS_ANA)
LIBS_FOR_test_cert_pdf   := $(LIBS_CERT)
LIBS_FOR_test_cert_xml   := $(LIBS_CERT)
LIBS_FOR_test_cert_verify := $(LIBS_CERT)
LIBS_FOR_test_cert_doc   := $(LIBS_CERT)
LIBS_REC    := $(LIB_REC) $(LIBS_STORE)
LIBS_CERT   := $(LIB_CERT) $(LIB_REC) $(LIBS_ANA)
LIBS_SES    := $(LIB_SES) $(LIBS_ANA)

.SECONDEXPANSION:
$(BUILD)/tests/%: tests/unit/%.c $$(call test_libs,%)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -DREFERENCE_DIR='"$(REFERENCE_DIR)"' -o $@ $< \
	    $(call test_libs,$*) $(LDFLAGS) $(LDLIBS) $(CMOCKA_LIBS)

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

# the portal's load generator: plain sockets, no caldaq library
$(BUILD)/bench_http: tools/bench/bench_http.c
	$(CC) $(CFLAGS) -o $@ $< $(LDFLAGS)

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

# Every test runs under a time limit (tests/run-tests: 300 s unless the
# script asks for more) and the run ends with "N passed, N failed, N skipped".
# Under CI=true a test that cannot find a peer or tool fails, never skips.
RUN_TESTS = CALDAQ=$(abspath $(CALDAQ)) REFERENCE_DIR=$(REFERENCE_DIR) BUILD=$(BUILD) PREFIX=$(PREFIX) \
            CALDAQ_LOCALEDIR=$(abspath $(BUILD)/locale) bash tests/run-tests

# runfile.sh writes its sample run with test_run --write-sample; install.sh
# installs what `make install` would, already built here.
test: $(CALDAQ) $(UNIT_BINS) $(BUILD)/tests/test_run $(BUILD)/gen_archive $(REPLAY_BINS) \
      $(LIB_GUM) $(GUM_PC) $(MAN_STAMP) $(COMPLETION)
	@$(RUN_TESTS) tests/layering.sh $(UNIT_BINS) $(REPLAY_BINS) $(E2E_TESTS)

# Which module may include and call which: tests/layering.sh.
layering: $(CALDAQ)
	@$(RUN_TESTS) tests/layering.sh

unit: $(UNIT_BINS) $(MO_FILES)
	@$(RUN_TESTS) $(UNIT_BINS)

e2e: $(CALDAQ) $(BUILD)/tests/test_run $(BUILD)/gen_archive $(LIB_GUM) $(GUM_PC) $(MAN_STAMP) $(COMPLETION)
	@$(RUN_TESTS) $(E2E_TESTS)

# Until calibration sessions exist, the demo evaluates the shipped example
# models (GUM H.1, JCGM 101 9.3) and reads a simulated balance into a run.
demo: deps
	@$(MAKE) --no-print-directory $(CALDAQ)
	$(CALDAQ) demo --out build/demo

bench: deps
	@tools/install-deps --bench
	@$(MAKE) --no-print-directory OPT=-O3 BUILD=build/bench build/bench/bench_mcm \
	    build/bench/bench_expr build/bench/bench_replay build/bench/bench_run \
	    build/bench/bench_cert build/bench/bench_open build/bench/bench_http build/bench/caldaq
	build/bench/bench_expr
	tools/bench/run
	build/bench/bench_replay
	build/bench/bench_run
	tools/bench/cert
	tools/bench/reprocess
	tools/bench/records
	tools/bench/portal

# The crash-safety test with more kills than make check runs.
killtest: $(CALDAQ)
	CALDAQ=$(abspath $(CALDAQ)) KILLTEST_N=$${KILLTEST_N:-500} bash tests/e2e/killtest.sh

# Everything under DESTDIR + the folders above (docs/packaging.md; what goes
# where is checked by tests/e2e/install.sh). The wildcards install what other
# parts add when they are there: translations, the systemd unit of caldaq serve.
install: $(CALDAQ) $(LIB_GUM) $(GUM_PC) $(MAN_STAMP) $(COMPLETION)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR)/caldaq \
	    $(DESTDIR)$(DATADIR)/profiles/standards $(DESTDIR)$(DATADIR)/examples \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(UDEVRULESDIR) $(DESTDIR)$(DOCDIR)
	install -m 755 $(CALDAQ) $(DESTDIR)$(BINDIR)/caldaq
	install -m 644 $(LIB_GUM) $(DESTDIR)$(LIBDIR)/
	ln -sf $(notdir $(LIB_GUM)) $(DESTDIR)$(LIBDIR)/$(GUM_SONAME)
	ln -sf $(GUM_SONAME) $(DESTDIR)$(LIBDIR)/libcaldaq-gum.so
	install -m 644 $(GUM_PC) $(DESTDIR)$(LIBDIR)/pkgconfig/
	install -m 644 $(GUM_HEADERS) $(DESTDIR)$(INCLUDEDIR)/caldaq/
	install -m 644 profiles/*.yaml $(DESTDIR)$(DATADIR)/profiles/
	install -m 644 profiles/standards/*.yaml $(DESTDIR)$(DATADIR)/profiles/standards/
	install -m 644 examples/*.yaml $(DESTDIR)$(DATADIR)/examples/
	install -m 644 $(BUILD)/man/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 $(COMPLETION) $(DESTDIR)$(BASHCOMPDIR)/caldaq
	install -m 644 udev/60-caldaq.rules $(DESTDIR)$(UDEVRULESDIR)/
	install -m 644 README.md docs/*.md $(DESTDIR)$(DOCDIR)/
	install -m 644 udev/README $(DESTDIR)$(DOCDIR)/README.udev
	install -d $(DESTDIR)$(DOCDIR)/vi/hinh
	install -m 644 docs/vi/*.md $(DESTDIR)$(DOCDIR)/vi/
	install -m 644 docs/vi/hinh/*.png $(DESTDIR)$(DOCDIR)/vi/hinh/
	$(foreach mo,$(MO_FILES),\
	    install -D -m 644 $(mo) $(DESTDIR)$(LOCALEDIR)/$(patsubst $(BUILD)/locale/%,%,$(mo)) &&) true
	$(foreach unit,$(wildcard tools/*.service),\
	    install -D -m 644 $(unit) $(DESTDIR)$(SYSTEMDUNITDIR)/$(notdir $(unit)) &&) true

# `make deb`: the Debian packages (debian/, docs/packaging.md) into
# build/deb/, then lintian on them; tools/deb-check installs them into a
# scratch Debian 12 and runs caldaq demo there.
deb:
	@tools/install-deps --deb
	dpkg-buildpackage -us -uc -b -j2
	@mkdir -p build/deb
	changes=../caldaq_$(VERSION)_$$(dpkg-architecture -qDEB_HOST_ARCH).changes; \
	    for f in $$(awk '/^Files:/ {on = 1; next} /^[^ ]/ {on = 0} on {print $$5}' $$changes); do \
	        mv -f ../$$f build/deb/; done; \
	    mv -f $$changes build/deb/
	lintian --fail-on error --info \
	    build/deb/caldaq_$(VERSION)_*.changes

clean:
	rm -rf build

# --- fuzzing --- (docs/fuzzing.md)
# One harness per parser of outside input: tests/fuzz/fuzz_<target>.c.
# `make fuzz` builds them with Debian's clang and libFuzzer (ASan + UBSan,
# in build/fuzz) and runs each for FUZZ_SECONDS, or only FUZZ_TARGET;
# `make fuzz-replay` (part of `make test`) runs every saved input of
# tests/fuzz/corpus/ and tests/fuzz/regressions/ through the same harnesses
# built with $(CC) and the usual SANITIZE flags, without libFuzzer.
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

.PHONY: fuzz fuzz-build fuzz-merge fuzz-replay

$(BUILD)/fuzz-replay/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/replay_main.c $(FUZZ_DEPS) $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/fuzz $(CFLAGS) -DFUZZ_REPLAY_NAME='"$*"' -o $@ $< \
	    tests/fuzz/replay_main.c tests/fuzz/fuzz_util.c $(LIBS) $(LDFLAGS) $(LDLIBS)

# Each replay binary, run with no arguments, replays its target's corpus
# and regressions: one test program each in tests/run-tests.
fuzz-replay: $(REPLAY_BINS)
	@$(RUN_TESTS) $(REPLAY_BINS)

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
