#!/usr/bin/env bash
# End to end: the documents of a legal verification (issue 16,
# docs/verification.md "Documents"). A dial pressure gauge
# (profiles/verification-dial-gauge-dlvn08.yaml: read by eye and typed)
# against the Modbus reference-gauge simulator, in batch from files of
# typed readings; then `caldaq cert`:
#  - a passing gauge: refused without --stamp, and without a cycles table;
#    with both, NUMBER.pdf / .json (the certificate) and NUMBER-record.pdf /
#    .json (the record), no XML, all in the manifest; `caldaq verify --pub`
#    passes; the PDF's text holds "GIẤY CHỨNG NHẬN KIỂM ĐỊNH", the stamp,
#    "Có hiệu lực đến" with the date 12 months on less a day (the cycle of
#    bourdon-pressure-gauge in profiles/verification-cycles.yaml); the
#    record holds "4,1" exactly as typed; the JSON says kind verification,
#    result pass, the stamp and the validity date;
#  - a failing gauge: the notice (THÔNG BÁO ... KHÔNG ĐẠT) with the point that
#    failed, its error and MPE; --stamp ignored with a warning; no stamp, no
#    validity date; `caldaq verify` passes; tampering with the record fails it;
#  - a check answered không đạt: the notice says the test was not carried out;
#  - --stamp on a calibration run: a usage error.
# test-timeout: 240
source "$(dirname "$0")/common.bash"
show() { echo "--- $1" >&2; cat "$1" >&2; }

command -v pdftotext >/dev/null || {
    echo "verification_cert.sh: needs pdftotext (apt-get install poppler-utils)"
    exit 77
}

PROFILE=profiles/verification-dial-gauge-dlvn08.yaml
CYCLES=profiles/verification-cycles.yaml
sed -e 's/due: 20[0-9][0-9]-/due: 2099-/' tests/fixtures/standards/example-lab-fixed-dates.yaml > "$tmp/reg.yaml"
"$CALDAQ" cert --keygen "$tmp/lab.key" > /dev/null
sed -e "s|^signing_key: .*|signing_key: $tmp/lab.key|" examples/lab-example.yaml > "$tmp/lab.yaml"

"$CALDAQ" sim modbus --port-link "$tmp/gauge" --control "$tmp/gauge.ctl" --advance 0 --settle 0 \
    --loads 0 --noise 0.0003 --capacity 25 --seed 5 </dev/null >"$tmp/sim.out" 2>&1 &
pids+=($!)
wait_for "$tmp/gauge"
wait_for "$tmp/gauge.ctl"

checks() { # checks [ANSWER-OF-THE-LAST]
    printf '%s\n' "ext-working,đạt" "ext-glass,đạt" "ext-vent,đạt" "ext-marking,đạt" \
        "tech-unit,đạt" "tech-division,đạt" "tech-zero,${1:-đạt}"
}
session() { # session NAME TYPED-FILE: batch session into $tmp/NAME
    mkdir -p "$tmp/$1"
    "$CALDAQ" session --profile "$PROFILE" --standards "$tmp/reg.yaml" --ref-port "$tmp/gauge" \
        --ref-set preset=keller --ref-set stable_n=2 --ref-set stable_s=0.01 --batch \
        --sim-control "$tmp/gauge.ctl" --typed "$2" --out "$tmp/$1" --lang vi \
        --operator "Nguyễn Văn An" --dut-serial AK-2026-001 > "$tmp/$1.session" 2>&1 \
        || { show "$tmp/$1.session"; fail "the $1 session did not complete"; }
    ls "$tmp/$1"/*.h5
}
cert() { # cert RUN OUT [OPTION...]
    local run=$1 out=$2
    shift 2
    "$CALDAQ" cert "$run" --out "$out" --lab "$tmp/lab.yaml" --customer "Công ty Áp Lực" \
        --item-model "Y-100" --item-manufacturer "Wika" "$@"
}
number_of() { basename "$(ls "$1"/*.manifest.json)" .manifest.json; }

# ------------------------------------------------------------ a pass
{ checks; printf '%s\n' "0,0" "4,4,1" "8,8" "12,12,1" "16,16" "16,15,9" "12,12" "8,7.9" "4,4" "0,0"; } \
    > "$tmp/pass.typed"
run=$(session pass "$tmp/pass.typed")

set +e
cert "$run" "$tmp/nostamp" --cycles "$CYCLES" > "$tmp/nostamp.out" 2>&1
rc=$?
set -e
[ "$rc" = 1 ] && grep -q -- "--stamp NUMBER" "$tmp/nostamp.out" \
    || { show "$tmp/nostamp.out"; fail "a passing verification without --stamp: exit $rc"; }
[ -z "$(ls -A "$tmp/nostamp" 2>/dev/null)" ] || fail "refused without a stamp, yet wrote files"
set +e
cert "$run" "$tmp/nocycles" --stamp T-123456 > "$tmp/nocycles.out" 2>&1
rc=$?
set -e
[ "$rc" = 1 ] && grep -q -- "--cycles FILE" "$tmp/nocycles.out" && grep -q "verification_cycles" "$tmp/nocycles.out" \
    || { show "$tmp/nocycles.out"; fail "a passing verification without a cycles table: exit $rc"; }

# the lab's own table, relative to the lab file
cp "$CYCLES" "$tmp/cycles.yaml"
echo "verification_cycles: cycles.yaml" >> "$tmp/lab.yaml"
cert "$run" "$tmp/pass.cert" --stamp "T-123456" > "$tmp/pass.cert.out" 2>&1 \
    || { show "$tmp/pass.cert.out"; fail "the certificate of the passing verification was not issued"; }
grep -q "no DCC XML" "$tmp/pass.cert.out" || { show "$tmp/pass.cert.out"; fail "no word about the XML"; }
n=$(number_of "$tmp/pass.cert")
for f in "$n.pdf" "$n.json" "$n-record.pdf" "$n-record.json" "$n.manifest.json"; do
    [ -s "$tmp/pass.cert/$f" ] && [ -s "$tmp/pass.cert/$f.sig" ] || fail "pass: no $f or its signature"
done
[ ! -e "$tmp/pass.cert/$n.xml" ] || fail "a verification got a DCC XML"
"$CALDAQ" verify "$tmp/pass.cert" --pub "$tmp/lab.key.pub" --run "$run" > "$tmp/pass.verify" \
    || { show "$tmp/pass.verify"; fail "caldaq verify fails on the certificate"; }
grep -q "$n-record.pdf" "$tmp/pass.verify" || fail "verify did not check the record"

# the day of verification is the day the run ended in the lab's zone (the
# example lab's, Asia/Ho_Chi_Minh); the cycle 12 months, less one day
read -r verified valid <<<"$("$PY" - "$tmp/pass.cert/$n.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1], encoding="utf-8"))
print(j["verified"], j["valid_until"])
PY
)"
want=$("$PY" - "$verified" <<'PY'
import datetime, sys
d = datetime.date.fromisoformat(sys.argv[1])
try:
    e = d.replace(year=d.year + 1)
except ValueError:               # 29 February: its month's last day
    e = d.replace(year=d.year + 1, day=28)
print(e - datetime.timedelta(days=1))
PY
)
[ "$valid" = "$want" ] || fail "valid until $valid, want $want (verified $verified, 12 months)"
ended=$("$PY" - "$run" <<'PY'
import sys, h5py, datetime, zoneinfo
f = h5py.File(sys.argv[1], "r")
e = f.attrs["ended"]
e = e.decode() if isinstance(e, bytes) else str(e)
t = datetime.datetime.fromisoformat(e)
print(t.astimezone(zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")).date())
PY
) || fail "cannot read the run's end"
[ "$ended" = "$verified" ] || fail "verified $verified, the run ended on $ended there"

pdftotext "$tmp/pass.cert/$n.pdf" "$tmp/pass.txt"
for want in "GIẤY CHỨNG NHẬN KIỂM ĐỊNH" "VERIFICATION CERTIFICATE" "T-123456" "Có hiệu lực đến" "$valid" \
    "Đạt yêu cầu đo lường" "ĐLVN 08:2011 Áp kế kiểu lò xo – Quy trình kiểm định" "Công ty Áp Lực" \
    "AK-2026-001" "Y-100" "Wika" "Số tem / số niêm phong" "Kiểm tra bên ngoài" "4,1" "Độ trễ" "$n"; do
    grep -qF -- "$want" "$tmp/pass.txt" || { show "$tmp/pass.txt"; fail "the certificate's text has no '$want'"; }
done
pdftotext -layout "$tmp/pass.cert/$n.pdf" "$tmp/pass.layout.txt"
grep -q "Có hiệu lực đến.*$valid" "$tmp/pass.layout.txt" \
    || { show "$tmp/pass.layout.txt"; fail "the certificate does not say 'Có hiệu lực đến $valid' on one line"; }
pdftotext "$tmp/pass.cert/$n-record.pdf" "$tmp/pass.record.txt"
for want in "BIÊN BẢN KIỂM ĐỊNH" "4,1" "12,1" "15,9" "7.9" "Nguyễn Văn An" "nhập tay" "T-123456"; do
    grep -qF -- "$want" "$tmp/pass.record.txt" || { show "$tmp/pass.record.txt"; fail "the record's text has no '$want'"; }
done
"$PY" - "$tmp/pass.cert/$n.json" "$tmp/pass.cert/$n-record.json" "$valid" <<'PY' || fail "the JSON of the certificate"
import json, sys
c = json.load(open(sys.argv[1], encoding="utf-8"))
r = json.load(open(sys.argv[2], encoding="utf-8"))
assert c["kind"] == "verification" and c["document"] == "certificate", c["document"]
assert c["result"] == "pass" and c["stamp"] == "T-123456" and c["valid_until"] == sys.argv[3]
assert c["national_document"].startswith("ĐLVN 08:2011")
assert c["cycle"]["months"] == 12 and c["cycle"]["instrument_type"] == "bourdon-pressure-gauge"
typed = [x for x in c["readings"] if x["source"] == "operator"]
assert [x["typed"] for x in typed] == ["0", "4,1", "8", "12,1", "16", "15,9", "12", "7.9", "4", "0"], typed
assert all(x["side"] == "item" and x["who"] == "Nguyễn Văn An" for x in typed)
ref = [x for x in c["readings"] if x["side"] == "reference"]
assert ref and all(x["source"] == "instrument" and x["typed"] is None for x in ref)
assert all(p["result"] == "pass" for p in c["points"]) and len(c["points"]) == 5
assert all(isinstance(p["hysteresis"], (int, float)) for p in c["points"])  # up and down
assert r["document"] == "record" and r["n_typed"] == 10
assert len([x for x in r["readings"] if x["side"] == "check"]) == 7
PY

# ------------------------------------------------------------ a failure
{ checks; for p in 0 4 8 12; do echo "$p,$p,4"; done
  printf '%s\n' "16,15,6" "16,15,6" "12,12,4" "8,8,4" "4,4,4" "0,0,4"; } > "$tmp/fail.typed"
run=$(session fail "$tmp/fail.typed")
cert "$run" "$tmp/fail.cert" --stamp "T-999" --lang vi > "$tmp/fail.cert.out" 2>&1 \
    || { show "$tmp/fail.cert.out"; fail "the notice of the failing verification was not issued"; }
grep -q "cảnh báo: --stamp T-999 không được dùng" "$tmp/fail.cert.out" || { show "$tmp/fail.cert.out"; fail "no warning for --stamp"; }
n=$(number_of "$tmp/fail.cert")
"$CALDAQ" verify "$tmp/fail.cert" --pub "$tmp/lab.key.pub" > "$tmp/fail.verify" \
    || { show "$tmp/fail.verify"; fail "caldaq verify fails on the notice"; }
pdftotext -layout "$tmp/fail.cert/$n.pdf" "$tmp/fail.txt"
for want in "THÔNG BÁO KẾT QUẢ KIỂM ĐỊNH KHÔNG ĐẠT" "Không đạt yêu cầu đo lường" \
    "Các điểm kiểm tra đo lường không đạt" "0,256"; do
    grep -qF -- "$want" "$tmp/fail.txt" || { show "$tmp/fail.txt"; fail "the notice's text has no '$want'"; }
done
grep -q "NOTICE OF VERIFICATION FAILURE" "$tmp/fail.txt" && fail "--lang vi wrote English"
# the point at 4 bar, up and down as typed, its error, hysteresis and MPE;
# a Vietnamese notice writes its figures with the decimal comma (LAB.yaml
# decimal_separator, comma by default)
grep -qE "^ +4 +4,4; 4,4 +4,[0-9]+ +0,3[0-9]+ +[0-9,]+ +0,2560 +Không đạt" "$tmp/fail.txt" || { show "$tmp/fail.txt"; fail "the notice does not list the point at 4 bar as typed"; }
grep -q "T-999\|Có hiệu lực đến" "$tmp/fail.txt" && fail "the notice has a stamp or a validity date"
"$PY" - "$tmp/fail.cert/$n.json" <<'PY' || fail "the JSON of the notice"
import json, sys
c = json.load(open(sys.argv[1], encoding="utf-8"))
assert c["kind"] == "verification" and c["document"] == "notice" and c["result"] == "fail"
assert c["stamp"] is None and c["valid_until"] is None
assert any(p["result"] == "fail" and p["item_typed"] == "4,4; 4,4" for p in c["points"]), c["points"]
PY
# the record altered after it was signed: verify says which file
printf ' ' >> "$tmp/fail.cert/$n-record.json"
set +e
"$CALDAQ" verify "$tmp/fail.cert" --pub "$tmp/lab.key.pub" > "$tmp/tamper.out" 2>&1
rc=$?
set -e
[ "$rc" = 1 ] && grep -q "$n-record.json: FAILED" "$tmp/tamper.out" \
    || { show "$tmp/tamper.out"; fail "an altered record passed verify (exit $rc)"; }

# ------------------------------------------------------------ a check that failed
checks "không đạt" > "$tmp/check.typed"
run=$(session check "$tmp/check.typed")
cert "$run" "$tmp/check.cert" > "$tmp/check.cert.out" 2>&1 \
    || { show "$tmp/check.cert.out"; fail "the notice of a failed check was not issued"; }
n=$(number_of "$tmp/check.cert")
"$CALDAQ" verify "$tmp/check.cert" --pub "$tmp/lab.key.pub" > /dev/null || fail "caldaq verify fails on the check's notice"
pdftotext "$tmp/check.cert/$n.pdf" "$tmp/check.txt"
for want in "THÔNG BÁO KẾT QUẢ KIỂM ĐỊNH KHÔNG ĐẠT" "Các nội dung kiểm tra không đạt" "không đạt" \
    "Không thực hiện kiểm tra đo lường"; do
    grep -qF -- "$want" "$tmp/check.txt" || { show "$tmp/check.txt"; fail "the check's notice has no '$want'"; }
done
grep -qF "Các điểm kiểm tra đo lường" "$tmp/check.txt" && fail "the check's notice lists points never measured"

# ------------------------------------------------------------ the records, an amendment
# A verification issued with the lab's records is recorded as one, valid
# until its cycle's date; a second issue under its number is refused; the
# amendment states what it replaces on the PDF and the JSON, and the first
# becomes "amended" naming it (ISO/IEC 17025 7.8.8).
run=$(session rec "$tmp/pass.typed")
cert "$run" "$tmp/rec.cert" --stamp "T-2000" --records "$tmp/records.db" > "$tmp/rec.out" 2>&1     || { show "$tmp/rec.out"; fail "a verification with the records was not issued"; }
n=$(number_of "$tmp/rec.cert")
"$CALDAQ" records show "$n" --records "$tmp/records.db" --json > "$tmp/rec.json" \
    || fail "the records do not show $n"
"$PY" - "$tmp/rec.json" "$tmp/rec.cert/$n.json" <<'PY' || { show "$tmp/rec.json"; fail "the record of the verification"; }
import json, sys
r = json.load(open(sys.argv[1], encoding="utf-8"))
c = json.load(open(sys.argv[2], encoding="utf-8"))
flat = json.dumps(r, ensure_ascii=False)
assert '"verification"' in flat, "kind"
assert c["valid_until"] and c["valid_until"] in flat, "valid_until"
PY
set +e
cert "$run" "$tmp/rec.cert" --stamp "T-2000" --records "$tmp/records.db" --number "$n" > "$tmp/again.out" 2>&1
rc=$?
set -e
[ "$rc" != 0 ] || { show "$tmp/again.out"; fail "a verification number was issued twice"; }
cert "$run" "$tmp/rec.cert" --stamp "T-2001" --records "$tmp/records.db" --amend "$n"     --reason "số tem ghi sai / wrong stamp number" > "$tmp/amend.out" 2>&1     || { show "$tmp/amend.out"; fail "the amendment of a verification was not issued"; }
pdftotext "$tmp/rec.cert/$n-A1.pdf" "$tmp/amend.txt"
for want in "Thay thế giấy chứng nhận số" "$n" "số tem ghi sai"; do
    grep -qF -- "$want" "$tmp/amend.txt" || { show "$tmp/amend.txt"; fail "the amendment's PDF has no '$want'"; }
done
"$PY" - "$tmp/rec.cert/$n-A1.json" "$n" <<'PY' || fail "the amendment's JSON does not say what it replaces"
import json, sys
c = json.load(open(sys.argv[1], encoding="utf-8"))
assert c["amends"]["number"] == sys.argv[2], c.get("amends")
PY
"$CALDAQ" records show "$n" --records "$tmp/records.db" --json > "$tmp/old.json"
grep -q '"amended"' "$tmp/old.json" && grep -qF "$n-A1" "$tmp/old.json" \
    || { show "$tmp/old.json"; fail "the amended verification's record does not name its replacement"; }
"$CALDAQ" verify "$tmp/rec.cert/$n-A1.manifest.json" --pub "$tmp/lab.key.pub" > /dev/null \
    || fail "caldaq verify fails on the amendment"

# ------------------------------------------------------------ --stamp on a calibration
mkdir -p "$tmp/cal"
"$CALDAQ" replay tests/traces/balance-mtsics.trace --profile profiles/balance-cg18-class-ii.yaml \
    --driver mtsics --standards tests/traces/standards.yaml --fast --out "$tmp/cal" > /dev/null \
    || fail "replay of a calibration"
set +e
"$CALDAQ" cert "$(ls "$tmp"/cal/*.h5)" --out "$tmp/cal.cert" --lab "$tmp/lab.yaml" --item-serial SN-1 \
    --stamp T-1 > "$tmp/cal.out" 2>&1
rc=$?
set -e
[ "$rc" = 2 ] && grep -q "for a verification" "$tmp/cal.out" \
    || { show "$tmp/cal.out"; fail "--stamp on a calibration run: exit $rc"; }

# ------------------------------------------------------------ the QR code with verify_url (issue 18)
if command -v zbarimg > /dev/null && command -v pdftoppm > /dev/null; then
    cp "$tmp/lab.yaml" "$tmp/lab-url.yaml"
    echo 'verify_url: "https://lab.example.vn/verify/"' >> "$tmp/lab-url.yaml"
    "$CALDAQ" cert "$run" --out "$tmp/url.cert" --lab "$tmp/lab-url.yaml" --customer "Công ty Áp Lực" \
        --item-model "Y-100" --item-manufacturer "Wika" --stamp T-123457 --cycles "$CYCLES" \
        --number KD-URL-1 > "$tmp/url.out" 2>&1 || { show "$tmp/url.out"; fail "a verification with verify_url"; }
    pdftoppm -r 200 -png -f 1 -l 1 "$tmp/url.cert/KD-URL-1.pdf" "$tmp/urlpage"
    qr=$(zbarimg -q --raw "$tmp"/urlpage-1.png 2> /dev/null) || fail "no QR code on the verification's certificate"
    [ "$qr" = "https://lab.example.vn/verify/KD-URL-1" ] || fail "the verification's QR code says '$qr'"
elif [ "${CI:-}" = true ]; then
    fail "zbarimg and pdftoppm are needed (zbar-tools, poppler-utils)"
fi
echo "verification_cert.sh: ok"
