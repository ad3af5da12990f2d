#!/usr/bin/env bash
# `caldaq demo` (what `make demo` runs) works with no hardware: the GUM
# examples, then a complete calibration of a simulated balance ending with
# the verdict table, a verified run file holding the results, all well
# under 30 s. Needs CALDAQ.
set -euo pipefail
: "${CALDAQ:?path of the caldaq binary}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# the demo's temporary folders go into a folder of this test's own, so a
# demo run elsewhere on the machine at the same time cannot be counted
mkdir "$tmp/scratch"
export TMPDIR=$tmp/scratch
(cd "$tmp" && "$CALDAQ" demo --out runs) > "$tmp/out"
grep -q "result = (50000839 ± 92) nm" "$tmp/out"
grep -q "Monte Carlo (JCGM 101)" "$tmp/out"
grep -q "Calibration complete. Run file: runs/balance-cg18-class-ii-" "$tmp/out"
grep -q "Overall verdict: PASS" "$tmp/out"
grep -q "Results stored in the run as version 1" "$tmp/out"
grep -q "^         220 g " "$tmp/out"
run=$(ls "$tmp"/runs/*.h5)
"$CALDAQ" verify "$run" > /dev/null
"$CALDAQ" show "$run" > "$tmp/show"
grep -q "status     complete" "$tmp/show"
"$CALDAQ" export "$run" --json > "$tmp/run.json"
grep -q 'caldaq-analysis/1' "$tmp/run.json"
# The technician's view in Vietnamese: a prompt per point, answered here.
printf '\n%.0s' $(seq 40) > "$tmp/enters"
(cd "$tmp" && LANG=C "$CALDAQ" demo --out runs2 --interactive --lang vi) < "$tmp/enters" > "$tmp/vi"
grep -q "Đặt quả cân 200 g lên đĩa cân — nhấn Enter khi sẵn sàng" "$tmp/vi"
grep -q "Đặt quả cân 100 g ở vị trí: phía trước" "$tmp/vi"
grep -q "Kết luận chung: ĐẠT" "$tmp/vi"
[ -z "$(ls -A "$tmp/scratch")" ]   # its temporary folders are gone
echo "demo.sh: ok"
