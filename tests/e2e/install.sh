#!/usr/bin/env bash
# End-to-end: `make install DESTDIR=...` puts each piece where
# docs/packaging.md says, and what it installed works from there:
#   - the program, the GUM engine's shared library (SONAME libcaldaq-gum.so.0,
#     exporting only functions unc.h and cd.h declare) with its links,
#     headers and caldaq-gum.pc, the profiles and examples, a manual page for
#     caldaq and for every subcommand `caldaq --help` lists, the bash
#     completion, the udev rules, the docs, and whatever translations and
#     systemd units the tree has;
#   - a program compiled against the installed headers with `pkg-config
#     --cflags --libs caldaq-gum` from the DESTDIR tree evaluates GUM H.1
#     (examples/gauge-block.yaml) through the installed library: u(y) =
#     31.669 nm, as `caldaq gum` prints it;
#   - the bash completion completes subcommands, actions and options;
#   - the installed program checks a profile from the installed data folder,
#     and its demo uses the installed profiles (found beside its bin/: the
#     run records the sha256 of the installed copy, changed here).
# Needs: CALDAQ (the built binary; `make test` builds what install needs),
# make, cc, pkg-config, bash.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/e2e/common.bash
. "$here/common.bash"
repo=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-build}
PREFIX=${PREFIX:-/usr/local}
dest=$tmp/root
# a make of its own, not a job of the make that runs the tests
unset MAKEFLAGS MFLAGS MAKELEVEL

make -C "$repo" --no-print-directory BUILD="$BUILD" PREFIX="$PREFIX" DESTDIR="$dest" install \
    >"$tmp/install.log" 2>&1 || { tail -20 "$tmp/install.log" >&2; fail "make install failed"; }

# The folders of the Makefile, as make computes them.
prefix_of() { # the value with $(PREFIX) and friends expanded by make itself
    make -C "$repo" --no-print-directory -s BUILD="$BUILD" PREFIX="$PREFIX" \
        --eval "print-$1: ; @echo \$($1)" "print-$1"
}
for v in BINDIR LIBDIR INCLUDEDIR DATADIR LOCALEDIR MANDIR DOCDIR BASHCOMPDIR UDEVRULESDIR \
         SYSTEMDUNITDIR VERSION MULTIARCH; do
    declare "$v=$(prefix_of $v)"
done
[ "$LIBDIR" = "$PREFIX/lib/$(cc -print-multiarch)" ] || fail "LIBDIR is $LIBDIR, not the multiarch folder"
case $PREFIX in
    /usr) [ "$UDEVRULESDIR" = /lib/udev/rules.d ] || fail "udev rules go to $UDEVRULESDIR" ;;
    *) [ "$UDEVRULESDIR" = "$PREFIX/lib/udev/rules.d" ] || fail "udev rules go to $UDEVRULESDIR" ;;
esac

want() { [ -s "$dest$1" ] || fail "make install did not install $1"; }
want "$BINDIR/caldaq"
[ -x "$dest$BINDIR/caldaq" ] || fail "$BINDIR/caldaq is not executable"
want "$LIBDIR/libcaldaq-gum.so.$VERSION"
[ "$(readlink "$dest$LIBDIR/libcaldaq-gum.so.0")" = "libcaldaq-gum.so.$VERSION" ] ||
    fail "libcaldaq-gum.so.0 does not point to libcaldaq-gum.so.$VERSION"
[ "$(readlink "$dest$LIBDIR/libcaldaq-gum.so")" = libcaldaq-gum.so.0 ] ||
    fail "libcaldaq-gum.so does not point to libcaldaq-gum.so.0"
want "$LIBDIR/pkgconfig/caldaq-gum.pc"
want "$INCLUDEDIR/caldaq/unc.h"
want "$INCLUDEDIR/caldaq/cd.h"
for f in "$repo"/profiles/*.yaml "$repo"/profiles/standards/*.yaml "$repo"/examples/*.yaml; do
    want "$DATADIR/${f#"$repo"/}"
done
commands=$("$CALDAQ" --help | awk '/^commands:/ {on = 1; next} on && /^  [a-z]/ {print $1}')
[ "$(echo "$commands" | wc -l)" -ge 10 ] || fail "caldaq --help lists too few commands: $commands"
want "$MANDIR/man1/caldaq.1"
for c in $commands; do
    page=$dest$MANDIR/man1/caldaq-$c.1
    want "$MANDIR/man1/caldaq-$c.1"
    grep -q "^\.TH CALDAQ-$(echo "$c" | tr a-z A-Z) " "$page" || fail "caldaq-$c.1: no title line"
    grep -q "^caldaq-$c \\\\- " "$page" || fail "caldaq-$c.1: no NAME line"
    grep -q '^\.SH SYNOPSIS' "$page" || fail "caldaq-$c.1: help2man found no usage (no SYNOPSIS)"
done
want "$BASHCOMPDIR/caldaq"
want "$UDEVRULESDIR/60-caldaq.rules"
cmp -s "$repo/udev/60-caldaq.rules" "$dest$UDEVRULESDIR/60-caldaq.rules" || fail "installed udev rules differ"
want "$DOCDIR/README.md"
want "$DOCDIR/packaging.md"
want "$DOCDIR/vi/README.md"                  # the Vietnamese user guide (docs/vi/)
want "$DOCDIR/vi/hinh/trang-xac-minh.png"
for mo in "$repo/$BUILD"/locale/*/LC_MESSAGES/caldaq.mo; do
    [ -e "$mo" ] || continue
    want "$LOCALEDIR/${mo#"$repo/$BUILD"/locale/}"
done
for unit in "$repo"/tools/*.service; do
    [ -e "$unit" ] || continue
    want "$SYSTEMDUNITDIR/$(basename "$unit")"
done

# The library: its SONAME, and it exports the public API and nothing else.
lib=$dest$LIBDIR/libcaldaq-gum.so.$VERSION
soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = libcaldaq-gum.so.0 ] || fail "SONAME is '$soname'"
exported=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBR]$/ {sub(/@.*/, "", $3); print $3}' | sort -u)
public=$(cat "$repo/uncertainty/unc.h" "$repo/common/cd.h" | tr -cs 'A-Za-z0-9_' '\n' | sort -u)
extra=$(comm -23 <(echo "$exported") <(echo "$public") | grep -v '^CALDAQ_GUM_' || true)
[ -z "$extra" ] || fail "the library exports what unc.h and cd.h do not declare: $extra"
for f in unc_model_load_file unc_lpu unc_mcm unc_fit_poly cd_fail; do
    grep -qx "$f" <<<"$exported" || fail "the library does not export $f"
done

# A program of the lab's own, built against the installed files only.
cat > "$tmp/h1.c" <<'C'
#include <stdio.h>
#include <unc.h>

int main(int argc, char **argv)
{
    struct cd_err err = {0};
    struct unc_model_file_opts opts;
    unc_model *m = unc_model_load_file(argc > 1 ? argv[1] : "", &opts, &err);
    struct unc_lpu_result *r = NULL;
    if (m == NULL || unc_lpu(m, opts.coverage, &r, &err) != 0) {
        fprintf(stderr, "h1: %s\n", err.msg);
        unc_model_free(m);
        return 1;
    }
    printf("%s u = %.3f %s\n", r->outputs[0].name, r->outputs[0].u, r->outputs[0].unit);
    unc_lpu_result_free(r);
    unc_model_free(m);
    return 0;
}
C
flags=$(PKG_CONFIG_SYSROOT_DIR=$dest PKG_CONFIG_LIBDIR=$dest$LIBDIR/pkgconfig \
    pkg-config --cflags --libs caldaq-gum) || fail "pkg-config does not find caldaq-gum.pc"
case $flags in *"-I$dest$INCLUDEDIR/caldaq"*"-L$dest$LIBDIR"*) ;;
    *) fail "pkg-config gives '$flags', not the installed folders" ;; esac
# A library built with SANITIZE=1 needs its program built the same way (the
# sanitizer's runtime must come first).
san=""
dyn=$(readelf -d "$lib")
case $dyn in *libasan*) san="-fsanitize=address,undefined" ;; esac
# shellcheck disable=SC2086
cc -std=c17 -Wall -Wextra -Werror $san -o "$tmp/h1" "$tmp/h1.c" $flags || fail "h1.c does not build"
loads=$(LD_LIBRARY_PATH=$dest$LIBDIR ldd "$tmp/h1")
grep -q "libcaldaq-gum.so.0 => $dest$LIBDIR/" <<<"$loads" ||
    fail "h1 does not load the installed library: $loads"
out=$(LD_LIBRARY_PATH=$dest$LIBDIR "$tmp/h1" "$dest$DATADIR/examples/gauge-block.yaml") ||
    fail "h1 failed: $out"
[ "$out" = "l u = 31.669 nm" ] || fail "h1 printed '$out', not 'l u = 31.669 nm' (GUM H.1)"

# The completion, as bash calls it.
complete_words() { # complete_words WORD... : what <TAB> offers after them
    bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _caldaq; echo "${COMPREPLY[*]}"' \
        _ "$dest$BASHCOMPDIR/caldaq" caldaq "$@"
}
[ "$(complete_words rec)" = records ] || fail "caldaq rec<TAB> gives '$(complete_words rec)'"
[ "$(complete_words gum --mc)" = --mcm ] || fail "caldaq gum --mc<TAB> gives '$(complete_words gum --mc)'"
[ "$(complete_words records s)" = "search show" ] ||
    fail "caldaq records s<TAB> gives '$(complete_words records s)'"
# options come from each command's own --help: show has --json, trace none
[ "$(complete_words show --js)" = --json ] || fail "caldaq show --js<TAB> gives '$(complete_words show --js)'"
[ -z "$(complete_words trace --js)" ] || fail "caldaq trace --js<TAB> offers '$(complete_words trace --js)'"

# The installed program, from the installed data folder.
inst=$dest$BINDIR/caldaq
"$inst" profile check "$dest$DATADIR/profiles/balance-cg18-class-ii.yaml" \
    --standards "$dest$DATADIR/profiles/standards/example-lab.yaml" --on 2026-01-01 >"$tmp/check.out" ||
    fail "installed caldaq profile check failed: $(tail -3 "$tmp/check.out")"
grep -q ': ok$' "$tmp/check.out" || fail "installed caldaq profile check did not say ok"
# The demo must take its profile from the installed tree (beside bin/), not
# from the checkout: the installed copy gets a comment the checkout lacks.
profile=$dest$DATADIR/profiles/balance-cg18-class-ii.yaml
echo "# the installed copy (tests/e2e/install.sh)" >> "$profile"
sum=$(sha256sum "$profile" | cut -d' ' -f1)
(cd "$tmp" && env -u CALDAQ_DATA "$inst" demo --out "$tmp/demo" >"$tmp/demo.out" 2>&1) ||
    fail "installed caldaq demo failed: $(tail -5 "$tmp/demo.out")"
run=$(ls "$tmp"/demo/*.h5 | head -n 1)
shown=$("$inst" show "$run" | grep '^profile ') || fail "caldaq show $run shows no profile"
case $shown in *"sha256 $sum"*) ;;
    *) fail "the installed demo did not use the installed profile (sha256 $sum): $shown" ;; esac
echo "install.sh: ok"
