#!/usr/bin/env bash
# End to end: a certificate's files stay in --out (issue 14, section 3).
# The number names the files (NUMBER.pdf, NUMBER.manifest.json, ...), so
# `--number "../../../victim"`, a LAB.yaml certificate_prefix with "../",
# or a run file whose id is "../../x" (batch certificates go to
# OUT/certs/RUNID/) once wrote files folders above. Now each is refused
# with a message naming what to change, nothing is written outside --out,
# and a number too long for the certificate is refused, not cut.
source "$(dirname "$0")/common.bash"

"$CALDAQ" cert --keygen "$tmp/lab.key" > /dev/null
sed -e "s|^signing_key: .*|signing_key: $tmp/lab.key|" examples/lab-example.yaml > "$tmp/lab.yaml"
mkdir -p "$tmp/runs"
"$CALDAQ" replay tests/traces/balance-mtsics.trace --profile profiles/balance-cg18-class-ii.yaml \
    --driver mtsics --standards tests/traces/standards.yaml --fast --out "$tmp/runs" > /dev/null \
    || fail "replay"
run=$(ls "$tmp"/runs/*.h5)
out="$tmp/a/b/c/out"
mkdir -p "$out"

nothing_outside() { # what: no file anywhere under $tmp named victim*
    local found
    found=$(find "$tmp" -name 'victim*' -print)
    [ -z "$found" ] || fail "$1: written outside --out: $found"
}
refused() { # what expected-status expected-text command...
    local what=$1 want=$2 text=$3
    shift 3
    set +e
    "$@" > "$tmp/out.txt" 2> "$tmp/err.txt"
    local rc=$?
    set -e
    [ "$rc" -eq "$want" ] || { cat "$tmp/out.txt" "$tmp/err.txt" >&2; fail "$what: status $rc, not $want"; }
    grep -qF -- "$text" "$tmp/err.txt" || { cat "$tmp/err.txt" >&2; fail "$what: the message lacks '$text'"; }
    echo "  $what: refused ($(head -c 150 "$tmp/err.txt" | head -n 1))"
}
cert() { "$CALDAQ" cert "$run" --out "$out" --lab "$tmp/lab.yaml" --item-serial SN-1 "$@"; }

# --number: the traversal, a folder separator, a letter outside ASCII, too long.
refused "--number ../../../victim" 2 "'/' cannot be part of a certificate number" \
    cert --number "../../../victim"
nothing_outside "--number ../../../victim"
refused "--number KĐ/2026/15" 2 "KD-2026-15" cert --number "KĐ/2026/15"
refused "--number KĐ-2026-15" 2 "only the letters A-Z and a-z" cert --number "KĐ-2026-15"
refused "--number .hidden" 2 "'.' is not allowed" cert --number ".hidden"
refused "--number -rf" 2 "begins with '-'" cert --number "-rf"
long=$(printf 'A%.0s' $(seq 64))
refused "a 64-byte --number" 2 "at most 63" cert --number "$long"
[ -z "$(ls -A "$out")" ] || fail "a refused number left files in --out: $(ls "$out")"

# The longest number that fits is kept whole, in every file and in the manifest.
max=$(printf 'B%.0s' $(seq 63))
cert --number "$max" > /dev/null || fail "a 63-byte number was refused"
for ext in pdf xml json manifest.json; do
    [ -s "$out/$max.$ext" ] && [ -s "$out/$max.$ext.sig" ] || fail "$max.$ext missing"
done
grep -q "\"number\": \"$max\"" "$out/$max.manifest.json" || fail "the number was cut in the manifest"
"$CALDAQ" verify "$out/$max.pdf" --pub "$tmp/lab.key.pub" > /dev/null || fail "$max does not verify"
echo "  a 63-byte number: kept whole in every file name and the manifest"

# certificate_prefix: refused where LAB.yaml says it, with its line.
sed -e 's|^certificate_prefix: .*|certificate_prefix: "../../../victim"|' "$tmp/lab.yaml" > "$tmp/bad-lab.yaml"
line=$(grep -n '^certificate_prefix' "$tmp/bad-lab.yaml" | cut -d: -f1)
refused "certificate_prefix ../../../victim" 1 "bad-lab.yaml:$line" \
    "$CALDAQ" cert "$run" --out "$out" --lab "$tmp/bad-lab.yaml" --item-serial SN-1
grep -q "certificate_prefix" "$tmp/err.txt" || fail "the prefix is not named"
nothing_outside "certificate_prefix ../../../victim"
# The default number (prefix, year, run id) still works.
rm -rf "$out"
cert > "$tmp/default.out" || fail "the default number"
ls "$out" | grep -Eq '^VD-HC-20[0-9]{2}-[0-9A-F]{8}\.pdf$' || fail "the default number: $(ls "$out")"
echo "  the default number: $(ls "$out" | sed -n 's/\.pdf$//p')"

# Batch certificates go to OUT/certs/RUNID/: a run file whose id was made
# "../../../../victim" (a damaged or forged file) gets no certificate, and
# the batch goes on.
mkdir -p "$tmp/batch"
cp "$run" "$tmp/batch/forged.h5"
"$PY" - "$tmp/batch/forged.h5" <<'PY'
import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:
    f.attrs["run_id"] = "../../../../victim"
PY
"$CALDAQ" reprocess "$tmp/batch" --out "$tmp/batch-out" --cert --lab "$tmp/lab.yaml" \
    > "$tmp/rp.out" 2>&1 || true
nothing_outside "a run id ../../../../victim in reprocess --cert"
grep -q "the run's id" "$tmp/batch-out/done.jsonl" \
    || { cat "$tmp/rp.out" "$tmp/batch-out/done.jsonl" >&2; fail "reprocess: the forged run id is not reported"; }
echo "  reprocess --cert: a forged run id is reported, nothing written outside OUT"
echo "cert_paths.sh: ok"
