#!/usr/bin/env bash
# End to end: `caldaq standards check` on the shipped example register (in
# date, the due date itself, overdue), on a broken register (file:line),
# and its --json read back by Debian's python3. Needs CALDAQ; run from the
# repository root or anywhere (paths are taken from this script's place).
set -euo pipefail
: "${CALDAQ:?path of the caldaq binary}"
PY=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
example=tests/fixtures/standards/example-lab-fixed-dates.yaml

# Every standard in date: exit 0, each listed with its certificate.
"$CALDAQ" standards check "$example" --on 2026-01-01 > "$tmp/ok.out"
grep -q "W-E2-01  weight-set, class E2" "$tmp/ok.out"
grep -q "certificate VD-KL-2025-0412" "$tmp/ok.out"
grep -q "due 2026-03-10: 68 days left" "$tmp/ok.out"
grep -q "100 g          100.000030 g         0.000050 g" "$tmp/ok.out"

# The due date is the last day of use; the day after is refused.
# (into a file: grep -q leaves a pipe early, and a longer register's
# output then dies of SIGPIPE under pipefail)
"$CALDAQ" standards check "$example" --on 2026-03-10 > "$tmp/today.out"
grep -q "due today" "$tmp/today.out"
if "$CALDAQ" standards check "$example" --on 2026-03-11 > /dev/null 2> "$tmp/late.err"; then
    echo "a standard past its due date was accepted" >&2; exit 1
fi
grep -q "reference W-E2-01 (certificate VD-KL-2025-0412) was due for calibration on 2026-03-10; it may not be used after that date" "$tmp/late.err"

# Years later every standard is overdue: exit 1, one message each.
set +e
"$CALDAQ" standards check "$example" --on 2030-01-01 > "$tmp/late.out" 2> "$tmp/late.err"
status=$?
set -e
[ "$status" -eq 1 ] || { echo "expected exit 1, got $status" >&2; exit 1; }
grep -q "example-lab-fixed-dates.yaml:17: reference W-E2-01 (certificate VD-KL-2025-0412) was due" "$tmp/late.err"
grep -q "reference DPC-01 (certificate VD-ĐT-2025-0031) was due for calibration on 2027-01-31" "$tmp/late.err"
grep -q "9 of 9 standards past their due date on 2030-01-01" "$tmp/late.err"
grep -q "OVERDUE by" "$tmp/late.out"

# A broken register: exit 1, file:line on stderr, nothing on stdout.
set +e
"$CALDAQ" standards check tests/fixtures/standards/bad/k-zero.yaml --on 2026-01-01 > "$tmp/bad.out" 2> "$tmp/bad.err"
status=$?
set -e
[ "$status" -eq 1 ] || { echo "expected exit 1 for a bad register, got $status" >&2; exit 1; }
grep -q "tests/fixtures/standards/bad/k-zero.yaml:10: standard 'W-1': k = 0 must be positive" "$tmp/bad.err"
[ ! -s "$tmp/bad.out" ]
if "$CALDAQ" standards check tests/fixtures/standards/bad/truncated.yaml 2> "$tmp/trunc.err"; then
    echo "a truncated register was accepted" >&2; exit 1
fi
grep -q "truncated.yaml:12: YAML syntax error" "$tmp/trunc.err"
if "$CALDAQ" standards check "$tmp/missing.yaml" 2> "$tmp/missing.err"; then exit 1; fi
grep -q "missing.yaml: cannot open" "$tmp/missing.err"

# --json, read back independently.
"$CALDAQ" standards check "$example" --on 2026-01-01 --json > "$tmp/ok.json"
set +e
"$CALDAQ" standards check "$example" --on 2026-07-01 --json > "$tmp/late.json" 2> /dev/null
status=$?
set -e
[ "$status" -eq 1 ]
"$PY" - "$tmp/ok.json" "$tmp/late.json" <<'PY'
import json, sys
ok = json.load(open(sys.argv[1], encoding="utf-8"))
assert ok["ok"] is True and ok["overdue"] == [] and ok["on"] == "2026-01-01", ok
assert "Trung tâm Khoa học–Công nghệ" in ok["lab"], ok["lab"]
ids = [s["id"] for s in ok["standards"]]
assert ids == ["W-E2-01", "P-REF-01", "DPC-01", "W-M1-01", "P-REF-DIG-01", "P-REF-MMHG-01", "T-REF-01",
               "W-M1-02", "T-REF-02"], ids
w = ok["standards"][0]
assert w["class"] == "E2" and w["k"] == 2 and w["days_left"] == 68 and w["in_date"], w
item = [i for i in w["items"] if i["nominal"] == 100][0]
assert abs(item["value"] - 100.00003) < 1e-9 and abs(item["U"] - 5e-5) < 1e-12, item
assert abs(item["u"] - 2.5e-5) < 1e-12, item
assert [i["mark"] for i in w["items"] if i["nominal"] == 2] == ["", "*"]
late = json.load(open(sys.argv[2], encoding="utf-8"))
assert late["ok"] is False and late["overdue"] == ["W-E2-01", "P-REF-01"], late["overdue"]
PY

# Usage: --help, a bad date, a missing file argument.
"$CALDAQ" standards --help | grep -q "usage: caldaq standards check FILE"
"$CALDAQ" standards check --help | grep -q "usage: caldaq standards check FILE"
set +e
"$CALDAQ" standards check "$example" --on 2026-02-30 2> "$tmp/usage.err"; s1=$?
"$CALDAQ" standards check 2> /dev/null; s2=$?
"$CALDAQ" standards list "$example" 2> /dev/null; s3=$?
set -e
[ "$s1" -eq 2 ] && [ "$s2" -eq 2 ] && [ "$s3" -eq 2 ]
grep -q "not '2026-02-30'" "$tmp/usage.err"

# The shipped example (issue 20): its dates follow today, so it checks on
# the day a newcomer tries it, and the command says once that it is an
# example; a year from now it still does. Its JSON says example: true.
shipped=profiles/standards/example-lab.yaml
"$CALDAQ" standards check "$shipped" > "$tmp/shipped.out" 2> "$tmp/shipped.err"
[ "$(grep -c "is the shipped example register" "$tmp/shipped.err")" -eq 1 ] || { cat "$tmp/shipped.err" >&2; false; }
"$CALDAQ" standards check "$shipped" --json 2>/dev/null | "$PY" -c '
import json, sys, datetime
d = json.load(sys.stdin)
assert d["example"] is True and d["ok"] is True, d
today = datetime.date.fromisoformat(d["on"])
for s in d["standards"]:
    due = datetime.date.fromisoformat(s["due"])
    cal = datetime.date.fromisoformat(s["calibrated"])
    assert 180 <= (due - today).days <= 370 and cal < today < due, s
'
"$CALDAQ" standards check "$example" --on 2026-01-01 --json | "$PY" -c '
import json, sys; assert json.load(sys.stdin)["example"] is False'
for p in profiles/*.yaml; do
    [ "$p" = profiles/verification-cycles.yaml ] && continue
    "$CALDAQ" profile check "$p" > /dev/null 2> "$tmp/p.err" || { cat "$tmp/p.err" >&2; false; }
    grep -q "is the shipped example register" "$tmp/p.err"
done
# the records never take an example register as a lab's standards
if "$CALDAQ" records import "$shipped" --records "$tmp/rec.db" 2> "$tmp/rec.err"; then false; fi
grep -q "is an example register (example: true): its certificates are made up, so it is not recorded" "$tmp/rec.err" \
    || { cat "$tmp/rec.err" >&2; false; }
# a real register may not move with the calendar: file:line and why
sed -e '/^example: true/d' "$shipped" > "$tmp/real.yaml"
if "$CALDAQ" standards check "$tmp/real.yaml" 2> "$tmp/real.err"; then false; fi
grep -q "real.yaml:27: calibrated: 'today - 6 months' is a date relative to today, allowed only in a register marked example: true" "$tmp/real.err" \
    || { cat "$tmp/real.err" >&2; false; }
echo "standards: ok"
