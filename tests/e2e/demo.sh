#!/usr/bin/env bash
# `caldaq demo` (what `make demo` runs) works with no hardware and leaves a
# verified run file behind. Needs CALDAQ.
set -euo pipefail
: "${CALDAQ:?path of the caldaq binary}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
before=$( (ls -d /tmp/caldaq-demo.* 2>/dev/null || true) | wc -l)
(cd "$tmp" && "$CALDAQ" demo --out runs) > "$tmp/out"
grep -q "result = (50000839 ± 92) nm" "$tmp/out"
grep -q "Monte Carlo (JCGM 101)" "$tmp/out"
grep -q "status     complete" "$tmp/out"
run=$(ls "$tmp"/runs/*.h5)
"$CALDAQ" verify "$run" > /dev/null
after=$( (ls -d /tmp/caldaq-demo.* 2>/dev/null || true) | wc -l)
[ "$after" -le "$before" ]   # its temporary folder is gone
echo "demo.sh: ok"
