#!/usr/bin/env bash
# End to end: a certificate issued, then amended; the QR code of each PDF
# decoded (pdftoppm renders the first page, zbarimg reads it) gives
# verify_url + the number; that page on caldaq serve says "amended" and
# links the replacement; the original PDF sent to it is "issued, genuine,
# amended", the same with one byte changed "not the issued file"; the
# XML and JSON too; the replacement "issued, genuine, valid"; a file of
# another certificate is not this one's. Without verify_url the QR keeps
# its text. `caldaq verify` still works offline.
# test-timeout: 200
source "$(dirname "$0")/portal.bash"
need zbarimg zbar-tools
need pdftoppm poppler-utils
portal_setup
portal_start main --listen 127.0.0.1:0 --lab "$tmp/lab.yaml"

qr() { # PDF -> the text of its QR code
    pdftoppm -r 200 -png -f 1 -l 1 "$1" "$tmp/page" || fail "pdftoppm $1"
    zbarimg -q --raw "$tmp"/page-1.png 2> /dev/null || fail "no QR code found in $1"
    rm -f "$tmp"/page-*.png
}
url=$(qr "$tmp/C-1-original.pdf")
[ "$url" = "https://lab.example.vn/verify/C-1" ] || fail "the QR code of C-1 says '$url'"
url2=$(qr "$tmp/certs/C-1-A1.pdf")
[ "$url2" = "https://lab.example.vn/verify/C-1-A1" ] || fail "the QR code of C-1-A1 says '$url2'"
echo "  QR codes: $url, $url2"

# the page the QR opens, on this server: the path of the URL
page() { curl -s --max-time 20 -o "$tmp/b" -w '%{http_code}' "$@"; }
path=/${url#https://*/}
[ "$(page "$BASE$path")" = 200 ] || fail "$path"
grep -q 'class="status amended">amended<' "$tmp/b" || fail "$path: not 'amended'"
grep -q 'class="replacement" href="/verify/C-1-A1' "$tmp/b" || fail "$path: no link to the replacement"
grep -q "$(sha256sum "$tmp/C-1-original.pdf" | cut -c1-64)" "$tmp/b" || fail "$path: the PDF's SHA-256 not shown"
for f in C-1.xml C-1.json; do
    grep -q "$(sha256sum "$tmp/certs/$f" | cut -c1-64)" "$tmp/b" || fail "$path: the SHA-256 of $f not shown"
done
echo "  $path: amended, links C-1-A1, the SHA-256 of each file issued"

send() { # FILE NUMBER -> the verdict line
    [ "$(page -F "file=@$1" "$BASE/verify/$2")" = 200 ] || fail "sending $1 to /verify/$2"
    sed -n 's|.*<p class="verdict [a-z]*">Verdict: \(.*\)</p>|\1|p' "$tmp/b"
}
v=$(send "$tmp/C-1-original.pdf" C-1)
[ "$v" = "issued, genuine, amended" ] || fail "the original PDF: '$v'"
grep -q "It is byte for byte the issued file C-1.pdf" "$tmp/b" || fail "which file"
grep -q "Its signature checks with the lab's key" "$tmp/b" || fail "the signature"
for f in C-1.xml C-1.json; do
    v=$(send "$tmp/certs/$f" C-1)
    [ "$v" = "issued, genuine, amended" ] || fail "$f: '$v'"
done
"$PY" -c "
import sys
b = bytearray(open(sys.argv[1], 'rb').read()); b[len(b) // 2] ^= 0x01; open(sys.argv[2], 'wb').write(b)
" "$tmp/C-1-original.pdf" "$tmp/changed.pdf"
v=$(send "$tmp/changed.pdf" C-1)
[ "$v" = "not the issued file" ] || fail "a PDF with one byte changed: '$v'"
grep -q "Its signature does not check" "$tmp/b" || fail "the changed PDF's signature"
v=$(send "$tmp/certs/C-1-A1.pdf" C-1-A1)
[ "$v" = "issued, genuine, valid" ] || fail "C-1-A1.pdf: '$v'"
v=$(send "$tmp/certs/C-1-A1.pdf" C-1)
[ "$v" = "not the issued file" ] || fail "C-1-A1.pdf sent to C-1: '$v'"
echo "  original: issued, genuine, amended; one byte changed: not the issued file; C-1-A1: valid"

# withdrawn while the server runs: the page and the check say so at once
"$CALDAQ" cert --withdraw C-1-A1 --reason "sent to the wrong customer" --lab "$tmp/lab.yaml" > /dev/null \
    || fail "withdraw C-1-A1"
[ "$(page "$BASE/verify/C-1-A1")" = 200 ] || fail "/verify/C-1-A1 after the withdrawal"
grep -q 'class="status withdrawn">withdrawn<' "$tmp/b" || fail "/verify/C-1-A1: not 'withdrawn'"
grep -q "sent to the wrong customer" "$tmp/b" || fail "/verify/C-1-A1: the reason of the withdrawal"
v=$(send "$tmp/certs/C-1-A1.pdf" C-1-A1)
[ "$v" = "issued, genuine, withdrawn" ] || fail "C-1-A1.pdf after the withdrawal: '$v'"
echo "  withdrawn: the page gives the reason; the PDF: issued, genuine, withdrawn"

# a file signed by another key, in the folder as if issued: the bytes are
# the issued ones, but the signature is not the lab's
"$CALDAQ" cert --keygen "$tmp/other.key" > /dev/null
sed -e "s|^signing_key: .*|signing_key: $tmp/other.key|" "$tmp/lab-nologin.yaml" > "$tmp/other.yaml"
sed -i -e "s|^records: .*|records: $tmp/other.db|" "$tmp/other.yaml"
"$CALDAQ" cert "$RUN" --out "$tmp/othercerts" --lab "$tmp/other.yaml" --number C-2 > /dev/null
portal_stop
portal_start other --listen 127.0.0.1:0 --records "$tmp/other.db" --lab "$tmp/lab.yaml"
v=$(send "$tmp/othercerts/C-2.pdf" C-2)
[ "$v" = "issued, but its signature does not check" ] || fail "a file signed with another key: '$v'"
grep -q "Its signature checks, but it was not made with the lab's key" "$tmp/b" || fail "another key"
echo "  a file signed with another key than the lab's: not genuine"
portal_stop
# no lab file: no key to say whose the signature is
portal_start nolab --listen 127.0.0.1:0 --records "$tmp/records.db"
v=$(send "$tmp/C-1-original.pdf" C-1)
[ "$v" = "issued, signed (the lab's key is not known here), amended" ] || fail "without the lab's key: '$v'"
echo "  without the lab's key: issued, signed (the lab's key is not known here), amended"
portal_stop

# without verify_url: the QR code of before
sed -e '/^verify_url:/d' -e "s|^records: .*|records: $tmp/plain.db|" "$tmp/lab-nologin.yaml" > "$tmp/plain.yaml"
"$CALDAQ" cert "$RUN" --out "$tmp/plain" --lab "$tmp/plain.yaml" --number P-1 > /dev/null
text=$(qr "$tmp/plain/P-1.pdf")
case $text in "caldaq certificate P-1"*"run sha256 "*"xml sha256 "*) ;; *) fail "the QR without verify_url: '$text'" ;; esac
echo "  without verify_url the QR says: $(echo "$text" | head -1) ..."

# offline, as before
"$CALDAQ" verify "$tmp/certs/C-1-A1.manifest.json" --lab "$tmp/lab.yaml" > "$tmp/o" || { cat "$tmp/o" >&2; fail "caldaq verify"; }
grep -q "certificate C-1-A1: intact" "$tmp/o" || fail "caldaq verify: $(tail -1 "$tmp/o")"
cp "$tmp/changed.pdf" "$tmp/certs/C-1.pdf"
set +e
"$CALDAQ" verify "$tmp/certs/C-1.manifest.json" --lab "$tmp/lab.yaml" > "$tmp/o" 2>&1
rc=$?
set -e
[ "$rc" = 1 ] && grep -q "NOT intact" "$tmp/o" || fail "caldaq verify of a changed PDF: $rc"
echo "  caldaq verify offline: intact; the changed PDF NOT intact"
echo "portal_verify.sh: ok"
