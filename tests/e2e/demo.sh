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
grep -q "Đặt quả cân 200 g lên đĩa cân (s: bỏ qua điểm này · a: dừng) — nhấn Enter khi sẵn sàng" "$tmp/vi"
grep -q "Đặt quả cân 100 g ở vị trí: phía trước" "$tmp/vi"
grep -q "Kết luận chung: ĐẠT" "$tmp/vi"
[ -z "$(ls -A "$tmp/scratch")" ]   # its temporary folders are gone

# Ctrl-C at the first prompt (issue 20): exit 3, no caldaq-demo.* folder
# left, the run "aborted" (not in-progress) and finished by the two commands
# the demo prints (/tmp/ turned into this test's folder).
mkfifo "$tmp/never"
sleep 60 > "$tmp/never" &
holder=$!
(cd "$tmp" && exec "$CALDAQ" demo --out runs3 --interactive --lang en) < "$tmp/never" > "$tmp/int.out" 2>&1 &
demo=$!
for _ in $(seq 300); do grep -q "Enter when ready" "$tmp/int.out" 2>/dev/null && break; sleep 0.1; done
grep -q "Enter when ready" "$tmp/int.out" || { cat "$tmp/int.out" >&2; kill "$demo" "$holder"; exit 1; }
kill -INT "$demo"
set +e
for _ in $(seq 100); do kill -0 "$demo" 2>/dev/null || break; sleep 0.1; done
wait "$demo"; rc=$?
set -e
kill "$holder" 2>/dev/null || true
[ "$rc" -eq 3 ] || { cat "$tmp/int.out" >&2; echo "demo.sh: Ctrl-C: status $rc, not 3" >&2; exit 1; }
[ -z "$(ls -A "$tmp/scratch")" ] || { ls -la "$tmp/scratch" >&2; echo "demo.sh: Ctrl-C left $(ls "$tmp/scratch")" >&2; exit 1; }
run=$(ls "$tmp"/runs3/*.h5)
"$CALDAQ" show "$run" > "$tmp/int.show"
grep -q "status     aborted" "$tmp/int.show"
sim_cmd=$(grep -m1 "^  caldaq sim mtsics " "$tmp/int.out" | sed -e 's/ &$//' -e "s|/tmp/|$tmp/|g")
resume_cmd=$(grep -m1 "^  caldaq session --resume " "$tmp/int.out" | sed -e "s|/tmp/|$tmp/|g")
[ -n "$sim_cmd" ] && [ -n "$resume_cmd" ] || { cat "$tmp/int.out" >&2; exit 1; }
read -ra sim_words <<< "$sim_cmd"
read -ra resume_words <<< "$resume_cmd"
sim_words[0]=$CALDAQ
resume_words[0]=$CALDAQ
"${sim_words[@]}" </dev/null >/dev/null 2>&1 &
sim=$!
trap 'kill "$sim" 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do [ -e "$tmp/balance.ctl" ] && break; sleep 0.05; done
(cd "$tmp" && timeout 120 "${resume_words[@]}" --lang en) > "$tmp/resumed.out" 2>&1 \
    || { cat "$tmp/resumed.out" >&2; echo "demo.sh: the printed resume failed" >&2; exit 1; }
grep -q "Overall verdict: PASS" "$tmp/resumed.out"
"$CALDAQ" show "$run" > "$tmp/resumed.show"
grep -q "status     complete" "$tmp/resumed.show"
echo "  Ctrl-C: status 3, no temporary folder left, the run resumed as printed"
echo "demo.sh: ok"
