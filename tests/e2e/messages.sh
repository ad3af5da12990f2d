#!/usr/bin/env bash
# End to end: messages that used to mislead (issue 14, section 3), each
# checked as the technician sees it on stderr, with the exit status.
# Needs CALDAQ.
set -euo pipefail
: "${CALDAQ:?path of the caldaq binary}"
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
pids=()
cleanup() {
    { for p in "${pids[@]}"; do kill "$p" || true; done; wait || true; } 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
    echo "messages.sh: FAIL: $*" >&2
    exit 1
}

# expect_error [-s STATUS] WHAT PATTERN COMMAND...: exit STATUS (default 1),
# and PATTERN (fixed text) on stderr.
expect_error() {
    local want=1 rc=0
    if [ "$1" = -s ]; then want=$2; shift 2; fi
    local what=$1 pattern=$2
    shift 2
    timeout 30 "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
    [ "$rc" -eq "$want" ] || fail "$what: exit $rc, expected $want: $(cat "$tmp/err")"
    grep -qF -- "$pattern" "$tmp/err" || fail "$what: stderr lacks '$pattern': $(cat "$tmp/err")"
    echo "  $what: $(cut -c1-160 "$tmp/err")"
}

# /dev/null as a port was "no such port: is the instrument plugged in?".
if [ -e /sys/dev/char/1:3 ]; then
    expect_error "/dev/null as a port" "/dev/null is not a serial port" \
        "$CALDAQ" read --driver mtsics --port /dev/null
fi
expect_error "a folder as a port" "is a folder, not a serial port" \
    "$CALDAQ" read --driver mtsics --port "$tmp"

# A 1 MB number was "not a number" (CSV) or "out of range" cut off before
# the reason (YAML): it is too long, and the message gives its length.
/usr/bin/python3 - "$tmp" <<'PY'
import sys
d = sys.argv[1]
big = "1" * 1000000
open(f"{d}/big.csv", "w").write(f"x,y\n1,2\n2,4\n{big},6\n4,8\n")
open(f"{d}/big.yaml", "w").write(
    f"model: a\ninputs:\n  - {{name: a, value: {big}, u: 0.1}}\n")
PY
expect_error "a 1 MB number in a CSV file" \
    "big.csv:4: field 1 (x): a number of 1000000 characters is too long (at most 127)" \
    "$CALDAQ" fit "$tmp/big.csv"
expect_error "a 1 MB number in a model file" \
    "big.yaml:3: input 'a': value: a number of 1000000 characters is too long (at most 127)" \
    "$CALDAQ" gum "$tmp/big.yaml"

# A balance in overload sends no value (MT-SICS "S +"): the session said
# "the instrument shows overload () at 100 g". Exit 4: the instrument
# stopped the session (docs/sessions.md).
sed -e 's/due: 20[0-9][0-9]-/due: 2099-/' "$root/tests/fixtures/standards/example-lab-fixed-dates.yaml" >"$tmp/reg.yaml"
"$CALDAQ" sim mtsics --port-link "$tmp/bal" --control "$tmp/bal.ctl" --loads 0 --noise 0 \
    --settle 0 --advance 0 --capacity 50 </dev/null >/dev/null 2>"$tmp/sim.err" &
pids+=($!)
for _ in $(seq 100); do [ -e "$tmp/bal" ] && [ -e "$tmp/bal.ctl" ] && break; sleep 0.05; done
[ -e "$tmp/bal.ctl" ] || fail "no simulator at $tmp/bal"
mkdir "$tmp/runs"
expect_error -s 4 "a balance in overload" \
    "the instrument shows overload at 100 g, with no value: the load is above the instrument's capacity" \
    "$CALDAQ" session --profile "$root/profiles/balance-cg18-class-ii.yaml" --port "$tmp/bal" \
    --out "$tmp/runs" --standards "$tmp/reg.yaml" --batch --sim-control "$tmp/bal.ctl" --lang en
grep -q "()" "$tmp/err" "$tmp/out" && fail "an empty '()' is still printed"

echo "messages.sh: ok"
