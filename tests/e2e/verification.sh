#!/usr/bin/env bash
# End to end: legal verification (issue 16) in batch mode. A dial pressure
# gauge (profiles/verification-dial-gauge-dlvn08.yaml: read by eye, typed)
# against the Modbus reference-gauge simulator:
#  - from a file of typed readings (--typed) with wrong entries in it
#    (letters, too many digits, out of range, a value far from the nominal
#    without and with ",confirm"): each refused with its reason and file:line,
#    the next line taken, the run complete and passing; h5py reads every
#    typed reading with its text exactly as typed, its value, source
#    "operator", side "item" and who typed it; the reference's readings with
#    side "reference"; the refusals in the audit log;
#  - `caldaq replay` of the run's trace with the same typed file reproduces
#    every reading's value, both sides;
#  - a gauge whose errors exceed the MPE fails (KHÔNG ĐẠT), and a checklist
#    answered "không đạt" fails with no metrological test;
#  - a reference standard whose U is more than a third of the MPE is refused
#    before any run file exists (exit 1, nothing in the output folder);
#  - both sides read by instruments (a digital gauge against the reference
#    gauge, two simulators): readings of both sides, the item's conversation
#    in the run's trace, the reference's in RUN.h5.ref.trace, named in the
#    audit log and playable by `caldaq sim --trace`.
source "$(dirname "$0")/common.bash"
show() { echo "--- $1" >&2; cat "$1" >&2; }

PROFILE=profiles/verification-dial-gauge-dlvn08.yaml
# a register whose standards are in date whenever the test runs
sed -e 's/due: 20[0-9][0-9]-/due: 2099-/' tests/fixtures/standards/example-lab-fixed-dates.yaml > "$tmp/reg.yaml"
REF=(--ref-set preset=keller --ref-set stable_n=2 --ref-set stable_s=0.01)

"$CALDAQ" sim modbus --port-link "$tmp/gauge" --control "$tmp/gauge.ctl" --advance 0 --settle 0 \
    --loads 0 --noise 0.0003 --capacity 25 --seed 5 </dev/null >"$tmp/sim.out" 2>&1 &
pids+=($!)
wait_for "$tmp/gauge"
wait_for "$tmp/gauge.ctl"

checks() { # checks ANSWER-OF-THE-LAST: the seven checks of the profile
    printf '%s\n' "ext-working,đạt" "ext-glass,d" "ext-vent,Đạt" "ext-marking,dat" \
        "tech-unit,đạt" "tech-division,đạt" "tech-zero,$1"
}

session() { # session NAME TYPED-FILE [OPTION...]: batch session into $tmp/NAME
    local name=$1 typed=$2
    shift 2
    mkdir -p "$tmp/$name"
    "$CALDAQ" session --profile "$PROFILE" --standards "$tmp/reg.yaml" --ref-port "$tmp/gauge" \
        "${REF[@]}" --batch --sim-control "$tmp/gauge.ctl" --typed "$typed" --out "$tmp/$name" \
        --lang vi --operator "Nguyễn Văn An" --dut-serial AK-2026-001 "$@"
}
the_run() { ls "$1"/*.h5; }

# 1. A passing gauge, with wrong entries on the way.
{
    checks "đạt"
    echo "# point, value as typed"
    echo "0,0"
    echo "4,abc"            # letters
    echo "4,4,15"           # more digits than 0.1 allows
    echo "4,17"             # out of range (wrong line, right point)
    echo "4,4,1"
    echo "8,9,5"            # 1.5 bar off: more than 5 MPE, not confirmed
    echo "8,8"
    echo "12,12,1"
    echo "16,16"
    echo "16,15,9"
    echo "12,12"
    echo "8,7.9"            # a decimal point is fine too
    echo "4,4"
    echo "0,0"
} > "$tmp/pass.typed"
session pass "$tmp/pass.typed" > "$tmp/pass.out" 2>&1 || { show "$tmp/pass.out"; fail "the passing verification did not complete"; }
out=$tmp/pass.out
for want in "Kiểm định: Kiểm định áp kế kiểu lò xo" "Chu kỳ kiểm định (Áp kế kiểu lò xo): 12 tháng" \
    "pass.typed:10: 'abc' không phải là số" \
    "pass.typed:11: '4,15' có nhiều chữ số hơn độ phân giải 0.1 bar cho phép" \
    "pass.typed:12: 17 nằm ngoài phạm vi đo 0 đến 16 bar" \
    "pass.typed:14: 9.5 bar khác xa giá trị danh định 8 bar (quá 5 lần sai số lớn nhất cho phép); kết thúc dòng bằng ,confirm để giữ giá trị" \
    "Kiểm định xong" "Kết luận chung: ĐẠT"; do
    grep -qF -- "$want" "$out" || { show "$out"; fail "the session did not say: $want"; }
done
run=$(the_run "$tmp/pass")
"$CALDAQ" verify "$run" > /dev/null || fail "the passing run does not verify"
"$PY" - "$run" <<'PY' || fail "the passing run does not hold what was typed"
import sys, h5py
def s(x): return x.decode() if isinstance(x, bytes) else str(x)
f = h5py.File(sys.argv[1], "r")
rd = f["readings"][...]
typed = [r for r in rd if s(r["source"]) == "operator" and s(r["side"]) == "item"]
texts = [s(r["display"]) for r in typed]
assert texts == ["0", "4,1", "8", "12,1", "16", "15,9", "12", "7.9", "4", "0"], texts
assert [float(r["value"]) for r in typed] == [0, 4.1, 8, 12.1, 16, 15.9, 12, 7.9, 4, 0]
assert all(s(r["who"]) == "Nguyễn Văn An" for r in typed)
assert all(s(r["status"]) == "stable" and s(r["unit"]) == "bar" for r in typed)
ref = [r for r in rd if s(r["side"]) == "reference" and s(r["status"]) == "stable"]
assert len(ref) == 10 and all(s(r["source"]) == "" for r in ref), len(ref)
checks = [r for r in rd if s(r["side"]) == "check"]
assert [s(r["display"]) for r in checks] == ["đạt", "d", "Đạt", "dat", "đạt", "đạt", "đạt"]
assert f["device"].attrs["side"] in (b"reference", "reference")
audit = [s(a["what"]) for a in f["audit"][...]]
for frag in ("entry 'abc' for the item refused", "entry '4,15' for the item refused",
             "entry '17' for the item refused", "entry '9,5' for the item refused",
             "item read by eye, typed by Nguyễn Văn An: '4,1' = 4.1 bar",
             "check tech-zero answered by Nguyễn Văn An: 'đạt' (pass)"):
    assert any(frag in a for a in audit), frag
import json
res = json.loads(f["results"]["v1"][()])
assert res["kind"] == "verification" and res["verdict"] == "pass", res["verdict"]
assert res["checks_passed"] is True and res["typed_readings"] == 10
PY

# 2. The replay of its trace with the same typed file: the same readings.
"$CALDAQ" trace "$run" --out "$tmp/pass.trace"
mkdir -p "$tmp/replayed"
"$CALDAQ" replay "$tmp/pass.trace" --profile "$PROFILE" --standards "$tmp/reg.yaml" --fast \
    --typed "$tmp/pass.typed" --ref-set preset=keller --ref-set stable_n=2 --ref-set stable_s=0.01 \
    --out "$tmp/replayed" --lang vi > "$tmp/replay.out" 2>&1 || { show "$tmp/replay.out"; fail "the replay failed"; }
"$PY" - "$run" "$(the_run "$tmp/replayed")" <<'PY' || fail "the replay does not reproduce the run"
import sys, h5py
def s(x): return x.decode() if isinstance(x, bytes) else str(x)
def key(path):
    rd = h5py.File(path, "r")["readings"][...]
    return [(s(r["side"]), int(r["point"]), s(r["status"]), float(r["value"]), s(r["display"]))
            for r in rd if s(r["status"]) == "stable"]
a, b = key(sys.argv[1]), key(sys.argv[2])
assert a == b, (a, b)
PY

# 3. A gauge that reads 0.4 bar high (MPE 0.256 bar): KHÔNG ĐẠT; at 8 bar
# down it shows 9.5 bar, which the technician confirms (",confirm").
{
    checks "đạt"
    for p in 0 4 8 12; do echo "$p,$p,4"; done
    echo "16,15,6"; echo "16,15,6"; echo "12,12,4"
    echo "8,9,5,confirm"
    echo "4,4,4"
    echo "0,0,4"
} > "$tmp/fail.typed"
session fail "$tmp/fail.typed" > "$tmp/fail.out" 2>&1 || { show "$tmp/fail.out"; fail "the failing verification did not complete"; }
grep -qF "Kết luận chung: KHÔNG ĐẠT" "$tmp/fail.out" || { show "$tmp/fail.out"; fail "the failing gauge did not fail"; }
"$PY" - "$(the_run "$tmp/fail")" <<'PY' || fail "the confirmed value is not in the failing run"
import sys, h5py
def s(x): return x.decode() if isinstance(x, bytes) else str(x)
f = h5py.File(sys.argv[1], "r")
assert any(s(r["display"]) == "9,5" and float(r["value"]) == 9.5 for r in f["readings"][...])
assert any("9,5 confirmed by Nguyễn Văn An" in s(a["what"]) for a in f["audit"][...])
PY
"$CALDAQ" verify "$(the_run "$tmp/fail")" > /dev/null || fail "the failing run does not verify"

# 4. A check answered "không đạt": the verification fails with no test.
checks "không đạt" > "$tmp/check.typed"
session check "$tmp/check.typed" > "$tmp/check.out" 2>&1 || { show "$tmp/check.out"; fail "the verification failing at a check did not complete"; }
for want in "Không đạt: Ở trạng thái không làm việc" "Kết luận chung: KHÔNG ĐẠT"; do
    grep -qF "$want" "$tmp/check.out" || { show "$tmp/check.out"; fail "a failed check: no '$want'"; }
done
grep -q "^\[1/10\]" "$tmp/check.out" && fail "the metrological test ran after a failed check"

# 5. A reference too poor for the MPE: refused before any run file exists.
"$PY" - "$tmp/reg.yaml" "$tmp/poor.yaml" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
start = text.index("- id: P-REF-DIG-01")
end = text.index("- id:", start + 5)
block = re.sub(r"U: 0\.0\d+", "U: 0.1", text[start:end])
open(sys.argv[2], "w", encoding="utf-8").write(text[:start] + block + text[end:])
PY
mkdir -p "$tmp/poor"
set +e
"$CALDAQ" session --profile "$PROFILE" --standards "$tmp/poor.yaml" --ref-port "$tmp/gauge" "${REF[@]}" \
    --batch --typed "$tmp/pass.typed" --out "$tmp/poor" > "$tmp/poor.out" 2>&1
rc=$?
set -e
[ "$rc" = 1 ] || { show "$tmp/poor.out"; fail "a reference too poor: exit $rc, not 1"; }
grep -q "P-REF-DIG-01" "$tmp/poor.out" && grep -q "1/3\|one third\|ratio" "$tmp/poor.out" \
    || { show "$tmp/poor.out"; fail "a reference too poor: the message does not say why"; }
[ -z "$(ls -A "$tmp/poor")" ] || fail "a refused verification left files: $(ls -A "$tmp/poor")"
# 6. Both sides read by instruments: a digital gauge (the item, on --port)
# against the reference gauge (--ref-port), each its own simulator.
sed -e 's/^  read: typed$/  read: instrument\n  driver: modbus/' -e '/^  range: \[0, 16\]$/d' \
    -e '/^  confirm_beyond_mpe: 5$/d' -e '/^item:/,/^reference:/{/^  resolution: 0.1$/d}' \
    -e 's/^name: .*/name: two-instruments/' -e "s|^register: .*|register: $tmp/reg.yaml|" \
    -e "s|^  instrument_type: .*|  instrument_type: bourdon-pressure-gauge\n  cycles: $PWD/profiles/verification-cycles.yaml|" \
    "$PROFILE" > "$tmp/two.yaml"
"$CALDAQ" profile check "$tmp/two.yaml" > "$tmp/two.check" 2>&1 || { show "$tmp/two.check"; show "$tmp/two.yaml"; fail "the two-instrument profile does not check"; }
"$CALDAQ" sim modbus --port-link "$tmp/item" --control "$tmp/item.ctl" --advance 0 --settle 0 \
    --loads 0 --noise 0.0003 --capacity 25 --seed 9 </dev/null >"$tmp/item.out" 2>&1 &
pids+=($!)
wait_for "$tmp/item"
wait_for "$tmp/item.ctl"
checks "đạt" > "$tmp/two.typed"
mkdir -p "$tmp/two"
"$CALDAQ" session --profile "$tmp/two.yaml" --port "$tmp/item" --set preset=keller \
    --set stable_n=2 --set stable_s=0.01 --sim-control "$tmp/item.ctl" --ref-port "$tmp/gauge" \
    "${REF[@]}" --ref-sim-control "$tmp/gauge.ctl" --batch --typed "$tmp/two.typed" \
    --out "$tmp/two" --lang en > "$tmp/two.out" 2>&1 || { show "$tmp/two.out"; fail "the two-instrument verification did not complete"; }
run=$(the_run "$tmp/two")
"$CALDAQ" verify "$run" > /dev/null || fail "the two-instrument run does not verify"
[ -s "$run.ref.trace" ] || fail "no reference trace beside the two-instrument run"
head -n 1 "$run.ref.trace" | grep -q "^# caldaq-trace 1" || fail "$run.ref.trace is not a trace"
"$CALDAQ" sim --trace "$run.ref.trace" --port-link "$tmp/played" </dev/null >"$tmp/played.out" 2>&1 &
played=$!
pids+=($played)
wait_for "$tmp/played"
kill "$played"
"$PY" - "$run" <<'PY' || fail "the two-instrument run does not hold both sides"
import sys, h5py
def s(x): return x.decode() if isinstance(x, bytes) else str(x)
f = h5py.File(sys.argv[1], "r")
rd = [r for r in f["readings"][...] if s(r["status"]) == "stable"]
item = [r for r in rd if s(r["side"]) == "item"]
ref = [r for r in rd if s(r["side"]) == "reference"]
assert len(item) == 10 and len(ref) == 10, (len(item), len(ref))
assert all(s(r["source"]) == "" for r in item + ref)
assert s(f["device"].attrs.get("side", b"")) in ("", "item")
audit = [s(a["what"]) for a in f["audit"][...]]
assert any("reference instrument" in a and ".ref.trace" in a for a in audit)
PY
echo "verification.sh: ok"
