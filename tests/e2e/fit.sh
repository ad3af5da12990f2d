#!/usr/bin/env bash
# End-to-end: `caldaq fit` on the GUM H.3 thermometer data (JCGM 100:2008
# Annex H.3, Table H.6) against the reference figures in gum-cases.json, a
# bad CSV, and --help.
# Needs: CALDAQ (the built binary), REFERENCE_DIR (../shared/reference).
set -euo pipefail

: "${CALDAQ:?set CALDAQ to the caldaq binary}"
: "${REFERENCE_DIR:?set REFERENCE_DIR to the reference data folder}"
PY=/usr/bin/python3
REF="$REFERENCE_DIR/gum-cases.json"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/caldaq-fit.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

fail() {
    echo "fit.sh: FAIL: $*" >&2
    exit 1
}

# The data come from the reference file itself, so the test and the
# expected figures cannot drift apart.
"$PY" - "$REF" >"$tmp/data.csv" <<'EOF'
import json, sys
case = next(c for c in json.load(open(sys.argv[1]))["cases"]
            if c["id"] == "GUM-H3-thermometer-LSQ")
print("# JCGM 100:2008 Annex H.3, Table H.6")
print("t,b")
for t, b in zip(case["data"]["t"], case["data"]["b"]):
    print(f"{t!r},{b!r}")
EOF

"$CALDAQ" fit "$tmp/data.csv" --x0 20 --at 30 --coverage 0.95 --json >"$tmp/out.json" \
    || fail "caldaq fit exited $?"

# Tolerance: the case's relative tolerance, or half a unit in the last digit
# the reference prints, whichever is wider (the file gives 4-5 significant
# digits). U is checked as k*u: the file's own U disagrees with its k and u
# (reported), see tests/unit/test_fit.c.
"$PY" - "$REF" "$tmp/out.json" <<'EOF' || fail "figures differ from the reference"
import json, math, sys
case = next(c for c in json.load(open(sys.argv[1]))["cases"]
            if c["id"] == "GUM-H3-thermometer-LSQ")
out = json.load(open(sys.argv[2]))
exp, rel = case["expected"], case["tolerance"]["rel"]

def half_unit(v):
    digits = next(d for d in range(1, 18) if float(f"{v:.{d - 1}e}") == v)
    return 0.5 * 10 ** (math.floor(math.log10(abs(v))) - (digits - 1))

bad = []
def check(name, got, want):
    tol = max(rel * abs(want), half_unit(want))
    ok = got is not None and abs(got - want) <= tol
    print(f"  {name:8} got {got!r:24} want {want!r:12} {'ok' if ok else 'FAIL'}")
    if not ok:
        bad.append(name)

a0, a1 = out["coefficients"]
pred = out["predictions"][0]
check("y1", a0["value"], exp["y1"])
check("u_y1", a0["u"], exp["u_y1"])
check("y2", a1["value"], exp["y2"])
check("u_y2", a1["u"], exp["u_y2"])
check("r_y1y2", out["correlation"][0][1], exp["r_y1y2"])
check("s_resid", out["s_resid"], exp["s_resid"])
check("y", pred["y"], exp["y"])
check("u", pred["u"], exp["u"])
check("k", pred["k"], exp["k"])
check("p", pred["p"], exp["p"])
check("U=k*u", pred["U"], pred["k"] * pred["u"])
if out["dof"] != exp["nu_eff"] or out["n"] != len(case["data"]["t"]):
    bad.append("dof/n")
if out["degree"] != 1 or out["weighted"] is not False or out["x0"] != case["data"]["t0"]:
    bad.append("degree/weighted/x0")
if pred["x"] != case["data"]["t_eval"]:
    bad.append("prediction x")
sys.exit(1 if bad else 0)
EOF

# A bad CSV: non-zero exit, nothing on stdout, FILE:LINE on stderr.
printf 'x,y\n1,2\n2,3\n3,nan\n' >"$tmp/bad.csv"
if "$CALDAQ" fit "$tmp/bad.csv" >"$tmp/bad.out" 2>"$tmp/bad.err"; then
    fail "a CSV with nan was accepted"
fi
grep -q "$tmp/bad.csv:4:" "$tmp/bad.err" || fail "error does not name bad.csv:4: $(cat "$tmp/bad.err")"
[ ! -s "$tmp/bad.out" ] || fail "output on stdout for a failed fit"

# A missing file: a clear error naming it.
if "$CALDAQ" fit "$tmp/missing.csv" 2>"$tmp/missing.err"; then
    fail "a missing file was accepted"
fi
grep -q "missing.csv" "$tmp/missing.err" || fail "missing file not named: $(cat "$tmp/missing.err")"

# A bad option: usage error, exit status 2.
status=0
"$CALDAQ" fit "$tmp/data.csv" --degree 7 2>/dev/null || status=$?
[ "$status" -eq 2 ] || fail "--degree 7 exited $status, expected 2"

# --help: usage on stdout, exit 0.
"$CALDAQ" fit --help >"$tmp/help.out" || fail "--help exited $?"
grep -q "usage: caldaq fit" "$tmp/help.out" || fail "--help printed no usage"

echo "fit.sh: ok"
