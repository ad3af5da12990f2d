#!/usr/bin/env bash
# End to end: certificates. Runs for the three families come from replaying
# the recorded sessions in tests/traces (so their numbers are fixed); for
# each, `caldaq cert` writes PDF, DCC XML and JSON, signed. Checked here:
# the XML against PTB's DCC 3.1.2 schema (xmllint, offline catalog); the PDF
# text (pdftotext) for every required field in Vietnamese and English, the
# certificate number and "page x of y" on every page, the end mark; the same
# numbers in XML, JSON and PDF; `caldaq verify` intact, then one changed
# byte in the PDF, in the XML, and in the run file each reported.
set -euo pipefail
: "${CALDAQ:?path of the caldaq binary}"
: "${REFERENCE_DIR:=../shared/reference}"
PY=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "cert.sh: $*" >&2; exit 1; }

"$CALDAQ" cert --keygen "$tmp/lab.key" > /dev/null
[ "$(stat -c %a "$tmp/lab.key")" = 600 ] || fail "the secret key is not private"
sed -e "s|^signing_key: .*|signing_key: $tmp/lab.key|" examples/lab-example.yaml > "$tmp/lab.yaml"
"$CALDAQ" cert --keygen "$tmp/other.key" > /dev/null

replay() { # the recorded session NAME, replayed as its .cmd file says
    local name=$1
    mkdir -p "$tmp/runs-$name"
    local cmd
    cmd=$(sed -e "s|^caldaq |\"\$CALDAQ\" |" -e "s| DIR\$| \"\$tmp/runs-$name\"|" "tests/traces/$name.cmd")
    eval "$cmd" > /dev/null || fail "$name: replay"
    ls "$tmp"/runs-"$name"/*.h5
}
declare -A runs
runs[balance]=$(replay balance-mtsics)
runs[dmm]=$(replay dmm-scpi)
runs[pressure]=$(replay pressure-modbus-rtu)

for fam in balance dmm pressure; do
    run=${runs[$fam]}
    out="$tmp/cert-$fam"
    # The runs were made today: a certificate is issued on or after its
    # calibration and not after today, for an item received before it, all
    # in the lab's zone (Asia/Ho_Chi_Minh). Fixed dates cannot be both.
    issued=$(TZ=Asia/Ho_Chi_Minh date +%F)
    received=$(date -u +%F -d "$issued -2 days")
    "$CALDAQ" cert "$run" --out "$out" --lab "$tmp/lab.yaml" --customer "Công ty TNHH Cân Việt" \
        --customer-address "45 Lê Lợi, Huế" --received "$received" --number "VD-HC-2026-$fam" \
        --issued "$issued" --item-serial "SN-$fam-042" > "$tmp/$fam.out" || fail "$fam: cert"
    for ext in pdf xml json manifest.json; do
        [ -s "$out/VD-HC-2026-$fam.$ext" ] && [ -s "$out/VD-HC-2026-$fam.$ext.sig" ] \
            || fail "$fam: $ext or its signature missing"
    done
    XML_CATALOG_FILES="$REFERENCE_DIR/dcc/catalog.xml" xmllint --nonet --noout \
        --schema "$REFERENCE_DIR/dcc/dcc.xsd" "$out/VD-HC-2026-$fam.xml" 2> "$tmp/$fam.xmllint" \
        || { cat "$tmp/$fam.xmllint" >&2; fail "$fam: the DCC XML does not validate"; }
    pdftotext -layout "$out/VD-HC-2026-$fam.pdf" "$tmp/$fam.txt"
    RECEIVED=$received ISSUED=$issued \
    "$PY" - "$tmp/$fam.txt" "$out/VD-HC-2026-$fam.json" "$out/VD-HC-2026-$fam.xml" "$fam" <<'PY'
import json, os, re, sys, xml.etree.ElementTree as ET
text, doc, fam = open(sys.argv[1], encoding="utf-8").read(), json.load(open(sys.argv[2])), sys.argv[4]
pages = text.rstrip("\f").split("\f")
number = doc["number"]
for i, page in enumerate(pages, 1):
    assert number in page, f"{fam}: page {i} lacks the certificate number"
    assert re.search(rf"(Trang|Page)\D*{i}\D+{len(pages)}", page), f"{fam}: page {i}: no 'page {i} of {len(pages)}'"
need = ["GIẤY CHỨNG NHẬN HIỆU CHUẨN", "CALIBRATION CERTIFICATE", "Công ty TNHH Cân Việt",
        "45 Lê Lợi, Huế", os.environ["RECEIVED"], os.environ["ISSUED"], doc["calibrated"], doc["item"]["manufacturer"],
        doc["item"]["serial"], "W-E2-01" if fam == "balance" else ("DPC-01" if fam == "dmm" else "P-REF-01"),
        "Nguyễn Văn An", "Trưởng phòng kỹ thuật", "Technical manager",
        "Kết quả chỉ có giá trị đối với phương tiện đo được hiệu chuẩn",
        "The results relate only to the item calibrated", "VILAS",
        "không đo", "not measured"]
flat = " ".join(text.split())
missing = [n for n in need if " ".join(n.split()) not in flat]
assert not missing, f"{fam}: the PDF lacks {missing}"
assert re.search(r"(Hết|End of certificate)", pages[-1]), f"{fam}: no end mark on the last page"
# the same numbers in the XML as in the JSON
ns = {"dcc": "https://ptb.de/dcc", "si": "https://ptb.de/si"}
root = ET.parse(sys.argv[3]).getroot()
assert root.find(".//dcc:uniqueIdentifier", ns).text == number
xml_numbers = []
for el in root.iter():
    if el.tag.endswith("}valueXMLList") or el.tag.endswith("}uncertaintyXMLList"):
        xml_numbers += [float(v) for v in el.text.split()]
measured = [p for p in doc["results"] if p["measured"]]
for p in measured:
    for key in ("error", "U"):
        assert any(abs(v - p[key]) <= 1e-12 * max(1, abs(p[key])) for v in xml_numbers), \
            f"{fam}: {key} {p[key]} of {p['nominal']} not in the XML"
# and in the PDF as printed: U to two significant digits, the error to the
# same decimal place (the PDF's rule, daq/cert/cert_pdf.c)
import math
for p in measured:
    dec = max(0, 1 - math.floor(math.log10(p["U"])))
    for key in ("U", "error"):
        shown = f"{p[key]:.{dec}f}"
        if shown.startswith("-") and float(shown) == 0:
            shown = shown[1:]
        assert shown in flat, f"{fam}: {key} of {p['nominal']} ({p[key]}) not printed as {shown}"
print(f"  {fam}: {len(pages)} PDF pages, every field in both languages; the same "
      f"{len(measured)} errors and U in the JSON, the valid XML and the PDF")
PY
    "$CALDAQ" verify "$out" --pub "$tmp/lab.key.pub" --run "$run" > "$tmp/$fam.verify" \
        || { cat "$tmp/$fam.verify" >&2; fail "$fam: a fresh certificate does not verify"; }
    grep -q "certificate VD-HC-2026-$fam: intact" "$tmp/$fam.verify" || fail "$fam: verify says"
done

# Tampering: one byte of the PDF, of the XML, of the run; another key.
out="$tmp/cert-balance"
pdf="$out/VD-HC-2026-balance.pdf"; xml="$out/VD-HC-2026-balance.xml"
flip() { # file offset: change one byte
    "$PY" - "$1" "$2" <<'PY'
import sys
path, off = sys.argv[1], int(sys.argv[2])
b = bytearray(open(path, "rb").read())
b[off] ^= 0x01
open(path, "wb").write(b)
PY
}
expect_bad() { # what file [verify options]
    local what=$1 file=$2
    shift 2
    set +e
    "$CALDAQ" verify "$out" "$@" > "$tmp/bad.out" 2>&1
    local rc=$?
    set -e
    [ "$rc" -eq 1 ] || { cat "$tmp/bad.out" >&2; fail "$what: verify status $rc"; }
    grep -q "$file: FAILED" "$tmp/bad.out" || { cat "$tmp/bad.out" >&2; fail "$what: not named"; }
    grep -q "NOT intact" "$tmp/bad.out" || fail "$what: no verdict"
    echo "  $what: $(grep FAILED "$tmp/bad.out" | sed -n 1p | cut -c1-110)"
}
cp "$pdf" "$tmp/pdf.keep"; flip "$pdf" 2000
expect_bad "a changed byte in the PDF" "VD-HC-2026-balance.pdf"
cp "$tmp/pdf.keep" "$pdf"
cp "$xml" "$tmp/xml.keep"; flip "$xml" 500
expect_bad "a changed byte in the XML" "VD-HC-2026-balance.xml"
cp "$tmp/xml.keep" "$xml"
run=${runs[balance]}
cp "$run" "$tmp/run.keep"; flip "$run" 4000
expect_bad "a changed byte in the run" "$run" --run "$run"
cp "$tmp/run.keep" "$run"
set +e
"$CALDAQ" verify "$pdf" --pub "$tmp/other.key.pub" > "$tmp/key.out" 2>&1; rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q "not the lab's key" "$tmp/key.out" || { cat "$tmp/key.out" >&2; fail "another lab's key was accepted"; }
"$CALDAQ" verify "$pdf" --pub "$tmp/lab.key.pub" --run "$run" > /dev/null || fail "restored files do not verify"
echo "cert.sh: ok"
