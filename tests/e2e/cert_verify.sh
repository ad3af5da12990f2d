#!/usr/bin/env bash
# End to end: what `caldaq verify` believes about a certificate (issue 14,
# section 3). Every line of a FILE.sig is checked: a sha256 line of any
# text, or a line added, once verified as intact.
source "$(dirname "$0")/common.bash"

"$CALDAQ" cert --keygen "$tmp/lab.key" > /dev/null
sed -e "s|^signing_key: .*|signing_key: $tmp/lab.key|" examples/lab-example.yaml > "$tmp/lab.yaml"
mkdir -p "$tmp/runs"
"$CALDAQ" replay tests/traces/balance-mtsics.trace --profile profiles/balance-cg18-class-ii.yaml \
    --driver mtsics --standards tests/traces/standards.yaml --fast --out "$tmp/runs" > /dev/null \
    || fail "replay"
run=$(ls "$tmp"/runs/*.h5)
out="$tmp/cert"
"$CALDAQ" cert "$run" --out "$out" --lab "$tmp/lab.yaml" --item-serial SN-1 --number N-1 \
    > /dev/null || fail "cert"
pub="$tmp/lab.key.pub"
"$CALDAQ" verify "$out" --pub "$pub" > /dev/null || fail "a fresh certificate does not verify"

# verify_status WHAT WANT [verify options]: the status, and the output kept in $tmp/v.out
verify_status() {
    local what=$1 want=$2
    shift 2
    set +e
    "$CALDAQ" verify "$out" "$@" > "$tmp/v.out" 2>&1
    local rc=$?
    set -e
    [ "$rc" -eq "$want" ] || { cat "$tmp/v.out" >&2; fail "$what: verify status $rc, not $want"; }
}

# --- .sig files: every line checked --------------------------------------------
sig="$out/N-1.pdf.sig"
cp "$sig" "$tmp/sig.keep"
sed -i 's/^sha256 .*/sha256 hello/' "$sig"
verify_status "sha256 line 'hello'" 1 --pub "$pub"
grep -q "N-1.pdf: FAILED: .*N-1.pdf.sig:3: not a caldaq signature file" "$tmp/v.out" \
    || { cat "$tmp/v.out" >&2; fail "sha256 line 'hello': not named"; }
echo "  a sha256 line of any text: $(grep FAILED "$tmp/v.out" | cut -c1-120)"
cp "$tmp/sig.keep" "$sig"
sed -i 's/^sha256 .*/sha256 0000000000000000000000000000000000000000000000000000000000000000/' "$sig"
verify_status "a wrong sha256 line" 1 --pub "$pub"
grep -q "sha256 line .* is not the file's SHA-256" "$tmp/v.out" || fail "a wrong sha256 line: not said"
cp "$tmp/sig.keep" "$sig"
echo "note: anything" >> "$sig"
verify_status "a fourth line" 1 --pub "$pub"
grep -q "N-1.pdf.sig:4: not a caldaq signature file: an unknown line" "$tmp/v.out" \
    || { cat "$tmp/v.out" >&2; fail "a fourth line: not named"; }
cp "$tmp/sig.keep" "$sig"
# The manifest's own .sig the same way: nothing can be checked without it.
cp "$out/N-1.manifest.json.sig" "$tmp/msig.keep"
sed -i 's/^sha256 .*/sha256 hello/' "$out/N-1.manifest.json.sig"
verify_status "the manifest's sha256 line" 1 --pub "$pub"
grep -q "N-1.manifest.json.sig:3" "$tmp/v.out" || fail "the manifest's .sig: not named"
cp "$tmp/msig.keep" "$out/N-1.manifest.json.sig"
verify_status "restored" 0 --pub "$pub"
echo "  every line of a .sig checked: a changed sha256 line, a line added, in files and manifest"

echo "cert_verify.sh: ok"
