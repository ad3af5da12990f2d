#!/usr/bin/env bash
# End to end: file permissions (issue 14, section 3). Runs and
# certificates took their mode from the umask (0666 under umask 0: anyone
# could rewrite a run or a certificate; 0600 under 077: the lab's group
# could not read them), and a lab's secret key readable by anyone was
# used without a word. Now runs, their journals and every certificate file
# are 0640 whatever the umask, and a key readable or writable by others
# than its owner is warned about, as ssh does.
source "$(dirname "$0")/common.bash"

"$CALDAQ" cert --keygen "$tmp/lab.key" > /dev/null
[ "$(stat -c %a "$tmp/lab.key")" = 600 ] || fail "the secret key is not private"
sed -e "s|^signing_key: .*|signing_key: $tmp/lab.key|" examples/lab-example.yaml > "$tmp/lab.yaml"

mode() { stat -c %a "$1"; }
all_0640() { # WHAT FILE...
    local what=$1
    shift
    for f in "$@"; do
        [ "$(mode "$f")" = 640 ] || fail "$what: $(basename "$f") has mode $(mode "$f"), not 640"
    done
}
for mask in 000 022 077; do
    mkdir -p "$tmp/runs-$mask"
    (umask $mask; "$CALDAQ" replay tests/traces/balance-mtsics.trace \
        --profile profiles/balance-cg18-class-ii.yaml --driver mtsics \
        --standards tests/traces/standards.yaml --fast --out "$tmp/runs-$mask" > /dev/null) \
        || fail "umask $mask: replay"
    run=$(ls "$tmp"/runs-$mask/*.h5)
    all_0640 "umask $mask: the run" "$run"
    (umask $mask; "$CALDAQ" cert "$run" --out "$tmp/cert-$mask" --lab "$tmp/lab.yaml" \
        --item-serial SN-1 --number "P-$mask" > /dev/null 2> "$tmp/cert.err") || fail "umask $mask: cert"
    [ ! -s "$tmp/cert.err" ] || { cat "$tmp/cert.err" >&2; fail "umask $mask: a warning for a private key"; }
    all_0640 "umask $mask: the certificate" "$tmp/cert-$mask"/*
    [ "$(ls "$tmp/cert-$mask" | wc -l)" -eq 8 ] || fail "umask $mask: $(ls "$tmp/cert-$mask")"
done
echo "  umask 000, 022, 077: the run and the 8 certificate files are 0640"

# The same number again is refused (ISO/IEC 17025 7.8.8, issue 17); files
# of one that was never issued (no manifest: stopped before the end) and
# that someone made world-writable are written over and become 0640.
set +e
"$CALDAQ" cert "$run" --out "$tmp/cert-000" --lab "$tmp/lab.yaml" --item-serial SN-1 \
    --number "P-000" > /dev/null 2> "$tmp/again.err"
rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q "never issued twice" "$tmp/again.err" || fail "issued again: status $rc"
rm "$tmp/cert-000/P-000.manifest.json" "$tmp/cert-000/P-000.manifest.json.sig"
chmod 666 "$tmp/cert-000"/*
(umask 000; "$CALDAQ" cert "$run" --out "$tmp/cert-000" --lab "$tmp/lab.yaml" \
    --item-serial SN-1 --number "P-000" > /dev/null) || fail "issued after an unfinished issue"
all_0640 "issued again" "$tmp/cert-000"/*
# A symbolic link planted in place of a certificate file is not written through.
mkdir -p "$tmp/cert-link"
echo "precious" > "$tmp/precious"
ln -s "$tmp/precious" "$tmp/cert-link/P-L.json"
set +e
"$CALDAQ" cert "$run" --out "$tmp/cert-link" --lab "$tmp/lab.yaml" --item-serial SN-1 \
    --number P-L > /dev/null 2>&1
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "a symbolic link in --out: status $rc"
[ "$(cat "$tmp/precious")" = precious ] || fail "written through a symbolic link"
echo "  a number issued again is refused; files of an unfinished issue made world-writable become 0640; a planted symlink is refused"

# The secret key readable by others: warned, with the fix; still issued.
for m in 644 640 604 666; do
    chmod "$m" "$tmp/lab.key"
    "$CALDAQ" cert "$run" --out "$tmp/cert-key" --lab "$tmp/lab.yaml" --item-serial SN-1 \
        --number "K-$m" > /dev/null 2> "$tmp/key.err" || fail "mode $m: not issued"
    grep -q "warning: the lab's secret key $tmp/lab.key can be .* (mode 0$m)" "$tmp/key.err" \
        || { cat "$tmp/key.err" >&2; fail "key mode $m: no warning"; }
    grep -q "chmod 600 $tmp/lab.key" "$tmp/key.err" || fail "key mode $m: the fix not said"
done
echo "  key mode 0644, 0640, 0604, 0666: $(cut -c1-110 "$tmp/key.err")"
chmod 644 "$tmp/lab.key"
mkdir -p "$tmp/batch"
cp "$run" "$tmp/batch/"
"$CALDAQ" reprocess "$tmp/batch" --out "$tmp/batch-out" --cert --lab "$tmp/lab.yaml" \
    > /dev/null 2> "$tmp/rp.err" || fail "reprocess --cert"
grep -q "caldaq reprocess: warning: the lab's secret key" "$tmp/rp.err" \
    || { cat "$tmp/rp.err" >&2; fail "reprocess --cert: no warning"; }
chmod 600 "$tmp/lab.key"
"$CALDAQ" cert "$run" --out "$tmp/cert-key" --lab "$tmp/lab.yaml" --item-serial SN-1 \
    --number K-600 > /dev/null 2> "$tmp/key.err" || fail "mode 600: not issued"
[ ! -s "$tmp/key.err" ] || { cat "$tmp/key.err" >&2; fail "mode 600: warned"; }
echo "  reprocess --cert warns too; a key of mode 0600 is not warned about"
echo "perms.sh: ok"
