#!/usr/bin/env bash
# End to end: `caldaq gum` on every published reference case, read back
# through --json by an independent program (Debian's python3), plus the
# command's error behaviour. Needs CALDAQ and REFERENCE_DIR.
set -euo pipefail
: "${CALDAQ:?path of the caldaq binary}" "${REFERENCE_DIR:?path of shared/reference}"
PY=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
here=$(cd "$(dirname "$0")" && pwd)

# Write one model file per reference case (JSON is YAML flow style).
"$PY" "$here/gum_cases.py" write "$REFERENCE_DIR/gum-cases.json" "$tmp"

for model in "$tmp"/*.yaml; do
    id=$(basename "$model" .yaml)
    args=(--json)
    case "$id" in JCGM101-*) args+=(--mcm 1000000 --seed 7) ;; esac
    "$CALDAQ" gum "$model" "${args[@]}" > "$tmp/$id.json"
    "$PY" "$here/gum_cases.py" check "$REFERENCE_DIR/gum-cases.json" "$id" "$tmp/$id.json"
done

# The text report of the shipped example prints the rounded result.
"$CALDAQ" gum "$here/../../examples/gauge-block.yaml" > "$tmp/text.out"
grep -q "result = (50000839 ± 92) nm" "$tmp/text.out"
grep -q "k      = 2.9208 for p = 99.00 %" "$tmp/text.out"

# Adaptive Monte Carlo reports convergence.
"$CALDAQ" gum "$here/../../examples/mass-calibration.yaml" --mcm auto --json > "$tmp/auto.json"
"$PY" - "$tmp/auto.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))["outputs"][0]["mcm"]
assert m["adaptive"] and m["converged"], m
assert abs(m["u"] - 0.0755) < 0.0005, m
PY

# A t input with 2 degrees of freedom has no variance (issue 15): a warning
# on stderr, u of the Monte Carlo null in JSON, the intervals still given.
printf 'model: "a + b"\ninputs:\n  - {name: a, value: 0, u: 1}\n  - {name: b, value: 0, u: 1, dist: student-t, dof: 2}\n' > "$tmp/t2.yaml"
"$CALDAQ" gum "$tmp/t2.yaml" --mcm 100000 --json > "$tmp/t2.json" 2> "$tmp/t2.err"
grep -q "warning: Monte Carlo: input 'b' (.*t2.yaml:4, 2 degrees of freedom)" "$tmp/t2.err"
"$PY" - "$tmp/t2.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))["outputs"][0]["mcm"]
assert m["u"] is None and m["y"] is not None, m
assert m["symmetric"]["low"] < -3 and m["symmetric"]["high"] > 3, m
assert "not defined" in m["warning"], m
PY

# Every input exact: nothing to validate, not "NOT validated" (issue 15).
printf 'model: "a*b"\ninputs:\n  - {name: a, value: 2, u: 0}\n  - {name: b, value: 3, u: 0}\n' > "$tmp/exact.yaml"
"$CALDAQ" gum "$tmp/exact.yaml" --mcm 10000 > "$tmp/exact.out"
grep -q "validation of the LPU (JCGM 101 8): u = 0, nothing to validate" "$tmp/exact.out"
if grep -q "NOT validated" "$tmp/exact.out"; then echo "exact model: NOT validated" >&2; exit 1; fi

# A statement of conformity: JCGM 106 7.4 (13.6, u 1.8, limits 12.5 and
# 16.3) has a conformance probability of 0.66.
printf 'model: x\ninputs:\n  - {name: x, value: 13.6, u: 1.8}\ntolerance: {low: 12.5, high: 16.3}\ndecision_rule: non-binary\n' > "$tmp/jcgm106.yaml"
"$CALDAQ" gum "$tmp/jcgm106.yaml" --json > "$tmp/jcgm106.json"
"$PY" - "$tmp/jcgm106.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["outputs"][0]["decision"]
assert d["rule"] == "non-binary" and d["verdict"] == "conditional pass", d
assert round(1 - d["pfa"], 2) == 0.66, d
PY
"$CALDAQ" gum "$tmp/jcgm106.yaml" | grep -q "verdict    = conditional pass"

# With finite degrees of freedom the PFA comes from the t-distribution (issue
# 15): x = 9.1, u = 0.2, nu = 4, upper limit 10 -> 0.541 % by t4.
printf 'model: x\ninputs:\n  - {name: x, value: 9.1, u: 0.2, dof: 4}\ntolerance: {high: 10}\n' > "$tmp/pfa-t.yaml"
"$CALDAQ" gum "$tmp/pfa-t.yaml" > "$tmp/pfa-t.out"
grep -q "outside the tolerance: 0.541 %, t with 4 degrees of freedom" "$tmp/pfa-t.out"

# --help, and errors: non-zero status, message on stderr naming file:line.
"$CALDAQ" gum --help | grep -q "usage: caldaq gum"
expect_fail() {  # expect_fail STATUS PATTERN ARGS...
    local want=$1 pattern=$2; shift 2
    set +e
    "$CALDAQ" gum "$@" > "$tmp/out" 2> "$tmp/err"
    local got=$?
    set -e
    if [ "$got" -ne "$want" ] || ! grep -q -- "$pattern" "$tmp/err" || [ -s "$tmp/out" ]; then
        echo "gum $*: status $got (want $want), stderr:" >&2; cat "$tmp/err" >&2; exit 1
    fi
}
printf 'model: "a + b"\ninputs:\n  - {name: a, value: 1, u: 0.1}\n' > "$tmp/bad-name.yaml"
expect_fail 1 "bad-name.yaml:1: .*unknown name 'b'" "$tmp/bad-name.yaml"
printf 'model: a\ninputs:\n  - {name: a, value: 1, u: -1}\n' > "$tmp/neg.yaml"
expect_fail 1 "neg.yaml:3: .*negative" "$tmp/neg.yaml"
printf 'model: a\ninputs:\n  - {name: a, value: 1, u: 0.1, dof: 0.5}\n' > "$tmp/dof.yaml"
expect_fail 1 "dof.yaml:3: input 'a': dof = 0.5 is below 1" "$tmp/dof.yaml"
printf 'model: a\ninputs: [\n' > "$tmp/syntax.yaml"
expect_fail 1 "syntax.yaml:3: YAML syntax error" "$tmp/syntax.yaml"
expect_fail 1 "cannot open" "$tmp/missing.yaml"
expect_fail 2 "no model file" 
expect_fail 2 "--mcm takes" "$tmp/neg.yaml" --mcm many
expect_fail 2 "unknown option" "$tmp/neg.yaml" --frobnicate
expect_fail 1 "too few" "$here/../../examples/mass-calibration.yaml" --mcm 10
echo "gum.sh: ok"
