#!/usr/bin/env bash
# End to end: caldaq serve under hostile requests (tests/e2e/portal_hostile.py,
# a Python peer): path traversal plain and encoded, SQL metacharacters, a
# 10 MB query string and header, uploads over the limit, slowloris, 1,000
# requests at once. Clear refusals, no crash, and the server keeps serving
# (it answers after every round and stops cleanly on SIGTERM at the end).
# test-timeout: 300
source "$(dirname "$0")/portal.bash"
portal_setup
# 1,000 connections at once need as many descriptors
ulimit -n 8192 2> /dev/null || ulimit -n "$(ulimit -Hn)"
portal_start main --listen 127.0.0.1:0 --lab "$tmp/lab.yaml"
timeout 250 "$PY" tests/e2e/portal_hostile.py "$PORT" "$tmp/lab.key" || fail "the hostile peer"
kill -0 "$SERVE_PID" 2> /dev/null || fail "caldaq serve died"
[ "$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' "$BASE/cert/C-1")" = 200 ] || fail "no longer serving"
portal_stop
grep -q "stopped (SIGTERM)" "$tmp/main.out" || fail "no clean stop"
echo "portal_hostile.sh: ok"
