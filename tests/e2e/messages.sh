#!/usr/bin/env bash
# End to end: messages that used to mislead (issue 14, section 3), each
# checked as the technician sees it on stderr, with the exit status.
# Needs CALDAQ.
set -euo pipefail
: "${CALDAQ:?path of the caldaq binary}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
    echo "messages.sh: FAIL: $*" >&2
    exit 1
}

# expect_error WHAT PATTERN COMMAND...: exit 1, and PATTERN (fixed text) on stderr.
expect_error() {
    local what=$1 pattern=$2 rc=0
    shift 2
    timeout 30 "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
    [ "$rc" -eq 1 ] || fail "$what: exit $rc, expected 1: $(cat "$tmp/err")"
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

echo "messages.sh: ok"
