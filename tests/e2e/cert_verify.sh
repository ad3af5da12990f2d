#!/usr/bin/env bash
# End to end: what `caldaq verify` believes about a certificate (issue 14,
# section 3). Every line of a FILE.sig is checked: a sha256 line of any
# text, or a line added, once verified as intact. Without --pub, verify
# trusted whichever key signed the files and said "intact" (status 0):
# now the lab's key comes from --pub or --lab LAB.yaml, and a certificate
# signed by a key caldaq was not told to trust exits 3 naming the key.
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

# --- whose key -------------------------------------------------------------------
hex=$(head -n 1 "$pub")
verify_status "no key given" 3
grep -q "signed by a key caldaq was not told to trust: $hex" "$tmp/v.out" \
    || { cat "$tmp/v.out" >&2; fail "no key given: the signer is not named"; }
grep -q "intact$" "$tmp/v.out" && fail "no key given: still called intact"
echo "  no --pub, no --lab: status 3, $(grep -o 'signed by a key.*' "$tmp/v.out" | sed -n 1p | cut -c1-90)"
verify_status "--lab" 0 --lab "$tmp/lab.yaml"
grep -q "certificate N-1: intact" "$tmp/v.out" || fail "--lab: not intact"
echo "  --lab LAB.yaml: the lab's key from its signing_key, status 0"
# Another lab's configuration, another key: not this lab's certificate.
"$CALDAQ" cert --keygen "$tmp/other.key" > /dev/null
sed -e "s|^signing_key: .*|signing_key: $tmp/other.key|" examples/lab-example.yaml > "$tmp/other.yaml"
verify_status "another lab's --lab" 1 --lab "$tmp/other.yaml"
grep -q "not the lab's key" "$tmp/v.out" || fail "another lab's --lab: not said"
# A LAB.yaml whose key has no .pub beside it: said, not guessed.
cp "$tmp/other.key" "$tmp/nopub.key"
sed -e "s|^signing_key: .*|signing_key: $tmp/nopub.key|" examples/lab-example.yaml > "$tmp/nopub.yaml"
verify_status "a key without .pub" 1 --lab "$tmp/nopub.yaml"
grep -q "has no .*nopub.key.pub beside it" "$tmp/v.out" || fail "a key without .pub: not said"
verify_status "--pub and --lab" 2 --pub "$pub" --lab "$tmp/lab.yaml"
# Altered beats untrusted: a changed byte without a key is still status 1.
cp "$out/N-1.json" "$tmp/json.keep"
sed -i 's/"N-1"/"N-2"/' "$out/N-1.json"
verify_status "altered, no key given" 1
cp "$tmp/json.keep" "$out/N-1.json"
# Options before the certificate work as after it.
set +e
"$CALDAQ" verify --lab "$tmp/lab.yaml" "$out" > /dev/null 2>&1; rc=$?
set -e
[ "$rc" -eq 0 ] || fail "verify --lab LAB DIR: status $rc"
"$CALDAQ" verify --help | grep -q "3 a certificate intact but signed by a key caldaq was not told" \
    || fail "verify --help does not document status 3"
echo "  another lab's key, a key without .pub, altered without a key: status 1; --help documents 3"

echo "cert_verify.sh: ok"
