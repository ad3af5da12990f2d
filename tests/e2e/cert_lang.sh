#!/usr/bin/env bash
# End to end: the certificates' languages do not depend on the process's
# (issue 20). Every fixed text of a document is an English msgid looked up in
# the Vietnamese catalogue (build/locale), whatever LANG, LANGUAGE or the
# global --lang say; the profile gives its own Vietnamese for the method, the
# note and the budget's descriptions, and caldaq's catalogue the roles of the
# standards. Checked here, for a balance (weights) and a multimeter
# (calibrator):
#  - the same certificate issued from LANG=C, from LANGUAGE=vi and with the
#    global --lang vi: the PDF's text, the DCC XML and the JSON identical
#    (only the screen's messages change, and they do: Vietnamese under vi);
#  - the Vietnamese-only certificate: no English left for the method, the
#    note, the roles, the budget's descriptions or the labels of the
#    document; its figures with the decimal comma (LAB.yaml
#    decimal_separator defaults to comma), the JSON's and the XML's with
#    the point; decimal_separator: point keeps the point.
set -euo pipefail
: "${CALDAQ:?path of the caldaq binary}"
PY=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "cert_lang.sh: $*" >&2; exit 1; }
command -v pdftotext > /dev/null || fail "pdftotext is missing (apt install poppler-utils)"

"$CALDAQ" cert --keygen "$tmp/lab.key" > /dev/null
sed -e "s|^signing_key: .*|signing_key: $tmp/lab.key|" examples/lab-example.yaml > "$tmp/lab.yaml"

replay() { # the recorded session NAME, replayed as its .cmd file says
    local name=$1
    mkdir -p "$tmp/runs-$name"
    local cmd
    cmd=$(sed -e "s|^caldaq |\"\$CALDAQ\" |" -e "s| DIR\$| \"\$tmp/runs-$name\"|" "tests/traces/$name.cmd")
    eval "$cmd" > /dev/null || fail "$name: replay"
    ls "$tmp"/runs-"$name"/*.h5
}
declare -A runs profile role
runs[balance]=$(replay balance-mtsics)
runs[dmm]=$(replay dmm-scpi)
profile[balance]=profiles/balance-cg18-class-ii.yaml
profile[dmm]=profiles/dmm-dcv-6half.yaml
role[balance]=weights
role[dmm]=calibrator
# each certificate is issued from the run as recorded (issuing adds to it)
for fam in balance dmm; do cp "${runs[$fam]}" "$tmp/recorded-$fam.h5"; done

issued=$(TZ=Asia/Ho_Chi_Minh date +%F)
cert() { # FAMILY OUT [ENV...] -- [ARGS...]: one certificate, number and dates fixed
    local fam=$1 out=$2
    shift 2
    local envs=()
    while [ "$1" != -- ]; do envs+=("$1"); shift; done
    shift
    cp "$tmp/recorded-$fam.h5" "${runs[$fam]}"
    env -u LANGUAGE -u LC_ALL -u LC_MESSAGES -u LANG "${envs[@]}" "$CALDAQ" "$@" cert \
        "${runs[$fam]}" --out "$out" --lab "${LAB:-$tmp/lab.yaml}" \
        --customer "Công ty TNHH Cân Việt" --number "VD-HC-2026-$fam" --issued "$issued" \
        --item-serial "SN-$fam-042" ${LANGS:+--lang "$LANGS"} > "$out.out" 2>&1 \
        || { cat "$out.out" >&2; fail "$fam: cert in ${envs[*]} $*"; }
}

for fam in balance dmm; do
    n=VD-HC-2026-$fam
    cert "$fam" "$tmp/$fam-c" LANG=C --
    cert "$fam" "$tmp/$fam-language" LANG=C LANGUAGE=vi --
    cert "$fam" "$tmp/$fam-global" LANG=C -- --lang vi
    grep -q "^certificate $n: verdict" "$tmp/$fam-c.out" || { cat "$tmp/$fam-c.out"; fail "$fam: LANG=C did not print in English"; }
    for v in language global; do
        grep -q "^giấy chứng nhận $n: kết luận" "$tmp/$fam-$v.out" \
            || { cat "$tmp/$fam-$v.out"; fail "$fam: the process language under $v is not Vietnamese"; }
        cmp -s "$tmp/$fam-c/$n.xml" "$tmp/$fam-$v/$n.xml" \
            || { diff "$tmp/$fam-c/$n.xml" "$tmp/$fam-$v/$n.xml" | head -20; fail "$fam: the XML differs between LANG=C and $v"; }
        # the JSON: the same but for the run's sha256 (the analysis is stored
        # in the run, with its time, each time a certificate is issued)
        "$PY" - "$tmp/$fam-c/$n.json" "$tmp/$fam-$v/$n.json" <<'PY' || fail "$fam: the JSON differs between LANG=C and $v"
import json, sys
a, b = (json.load(open(p, encoding="utf-8")) for p in sys.argv[1:3])
for d in (a, b):
    d["run"].pop("sha256")
assert a == b, [k for k in a if a[k] != b.get(k)]
PY
        pdftotext -layout "$tmp/$fam-c/$n.pdf" "$tmp/$fam-c.txt"
        pdftotext -layout "$tmp/$fam-$v/$n.pdf" "$tmp/$fam-$v.txt"
        cmp -s "$tmp/$fam-c.txt" "$tmp/$fam-$v.txt" \
            || { diff "$tmp/$fam-c.txt" "$tmp/$fam-$v.txt" | head -20; fail "$fam: the PDF's text differs between LANG=C and $v"; }
    done

    # The Vietnamese certificate, issued from an English shell.
    LANGS=vi cert "$fam" "$tmp/$fam-vi" LANG=C --
    pdftotext -layout "$tmp/$fam-vi/$n.pdf" "$tmp/$fam-vi.txt"
    pdftotext "$tmp/$fam-vi/$n.pdf" "$tmp/$fam-vi.raw.txt" # the table's cells one after another
    "$PY" - "$tmp/$fam-vi.txt" "${profile[$fam]}" "${role[$fam]}" "$tmp/$fam-vi/$n.json" \
        "$tmp/$fam-vi/$n.xml" "$tmp/$fam-vi.raw.txt" <<'PY' || fail "$fam: the Vietnamese certificate"
import json, re, sys, xml.etree.ElementTree as ET
text, prof, role = open(sys.argv[1], encoding="utf-8").read(), open(sys.argv[2], encoding="utf-8").read(), sys.argv[3]
flat = " ".join(text.split())
raw = " ".join(open(sys.argv[6], encoding="utf-8").read().split())
def en_vi(key):
    m = re.search(r'%s: \{en: "([^"]*)", vi: "([^"]*)"\}' % key, prof)
    assert m, f"the profile has no {{en, vi}} {key}"
    return m.group(1), m.group(2)
# the method and the note: the profile's Vietnamese, not its English
for key in ("method", "national_document"):
    en, vi = en_vi(key)
    assert " ".join(vi.split()) in flat, f"{key}: {vi!r} not in the certificate"
    assert en not in flat, f"{key}: the English {en!r} is in the Vietnamese certificate"
# the budget's descriptions: every label in Vietnamese, none in English
labels = re.findall(r'label: \{en: "([^"]*)", vi: "([^"]*)"\}', prof)
assert labels, "the profile has no bilingual budget labels"
doc = json.load(open(sys.argv[4], encoding="utf-8"))
shown = {r["name"] for r in doc["annex_budget"]}
assert shown, "no budget in the JSON"
for row in doc["annex_budget"]:
    assert row.get("label_vi"), f"budget row {row['name']}: no label_vi in the JSON"
    assert row["label_vi"] in raw, f"{row['label_vi']!r} not in the annex"
    assert not re.search(r"\b%s\b" % re.escape(row["label"]), flat), f"the English label {row['label']!r} is in the annex"
# the role of the standard, through caldaq's catalogue
assert not re.search(r"\b%s\b" % role, flat), f"the role {role!r} is in English"
assert {"weights": "quả cân chuẩn", "calibrator": "thiết bị hiệu chuẩn"}[role] in flat, "the role in Vietnamese is missing"
# no label of the document left in English
for en in ["Method", "Note", "Role", "Quantity", "Description", "Customer", "Calibration results",
           "Decision rule", "Statement of conformity", "Annex", "Page", "not measured",
           "Reference standards", "Traceability", "Authorised signatory", "End of certificate"]:
    assert not re.search(r"\b%s\b" % re.escape(en), flat), f"{en!r} in the Vietnamese certificate"
# figures: the decimal comma on the page, the point in the JSON and the XML
u = re.search(r'"U": (-?[0-9]+\.[0-9]+)', open(sys.argv[4], encoding="utf-8").read()).group(1)
assert u.replace(".", ",") in text, f"U {u} not written {u.replace('.', ',')} on the page"
page = flat
for data in (doc["item"]["model"], doc["item"]["firmware"]):  # as the instrument reported them
    page = page.replace(" ".join(data.split()), "")
left = re.findall(r"\S*\d\.\d\S*", re.sub(r"\b(v\d+\.\d+|\d+\.\d+\.\d+|GUM [A-Z]?\.?\d+(\.\d+)*)", "", page))
assert not left, f"figures with the decimal point on the Vietnamese page: {left[:5]}"
ns = {"dcc": "https://ptb.de/dcc", "si": "https://ptb.de/si"}
root = ET.parse(sys.argv[5]).getroot()
vals = [e.text for tag in ("valueXMLList", "value", "uncertaintyXMLList") for e in root.iter("{%s}%s" % (ns["si"], tag))]
assert vals and not any("," in v for v in vals), f"the DCC's values {vals}: xs:double with the point"
assert any("." in v for v in vals), "no decimal figure in the DCC"
# the DCC's Vietnamese texts write their figures as the page does
vi_texts = [e.text or "" for e in root.iter("{%s}content" % ns["dcc"])
            if e.get("lang") == "vi" and (e.text or "").startswith("Điểm")]
assert vi_texts and not any(re.search(r"\d\.\d", t) for t in vi_texts), vi_texts[:3]
PY
done

# decimal_separator: point keeps the point on a Vietnamese certificate.
sed -e '$a decimal_separator: point' "$tmp/lab.yaml" > "$tmp/lab-point.yaml"
LAB=$tmp/lab-point.yaml LANGS=vi cert dmm "$tmp/dmm-point" LANG=C --
pdftotext -layout "$tmp/dmm-point/VD-HC-2026-dmm.pdf" "$tmp/dmm-point.txt"
u=$(grep -oE '"U": -?[0-9]+\.[0-9]+' "$tmp/dmm-point/VD-HC-2026-dmm.json" | head -1 | cut -d' ' -f2)
grep -qF -- "$u" "$tmp/dmm-point.txt" || fail "decimal_separator: point: U $u not on the page"
sed -e '$a decimal_separator: semicolon' "$tmp/lab.yaml" > "$tmp/lab-bad.yaml"
if env LANG=C "$CALDAQ" cert "${runs[dmm]}" --out "$tmp/dmm-bad" --lab "$tmp/lab-bad.yaml" \
    --customer C --item-serial S > "$tmp/dmm-bad.out" 2>&1; then
    fail "decimal_separator: semicolon was accepted"
fi
grep -q "lab-bad.yaml:[0-9]*:.*semicolon" "$tmp/dmm-bad.out" || { cat "$tmp/dmm-bad.out"; fail "the bad decimal_separator is not named with its line"; }
echo "cert_lang.sh: ok"
