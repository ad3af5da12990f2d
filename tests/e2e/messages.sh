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

echo "messages.sh: ok"
