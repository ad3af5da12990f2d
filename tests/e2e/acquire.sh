#!/usr/bin/env bash
# End to end: `caldaq acquire` writes a run against the simulator; show,
# export and verify read it; the trace it recorded (`caldaq trace`) replays
# as the instrument and a second acquisition reads the same values; h5py
# (an independent reader) changes one stored value and verify names it.
set -euo pipefail
: "${CALDAQ:?path of the caldaq binary}"
PY=/usr/bin/python3
tmp=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
wait_for() { for _ in $(seq 100); do [ -e "$1" ] && return 0; sleep 0.05; done; exit 1; }

"$CALDAQ" sim sbi --port-link "$tmp/bal" --loads 0,100,200 --advance 0 --settle 0 --seed 4 \
    --control "$tmp/ctl" </dev/null >/dev/null 2>&1 &
pids+=($!)
wait_for "$tmp/bal"; wait_for "$tmp/ctl"
mkdir "$tmp/a" "$tmp/b"
"$CALDAQ" acquire --driver sbi --port "$tmp/bal" --serial 1200,7O1 --points 0,100,200 \
    --repeat 3 --sim-control "$tmp/ctl" --env 20.5,45 --operator "Nguyễn Văn A" --out "$tmp/a" \
    > "$tmp/a.out"
run=$(ls "$tmp"/a/*.h5)
grep -q "(complete)" "$tmp/a.out"
"$CALDAQ" show "$run" > "$tmp/show.txt"
grep -q "status     complete" "$tmp/show.txt"
grep -q "Nguyễn Văn A" "$tmp/show.txt"
grep -q "intact" "$tmp/show.txt"
"$CALDAQ" export "$run" --csv > "$tmp/readings.csv"
[ "$(wc -l < "$tmp/readings.csv")" -eq 10 ]    # header + 9 readings
"$CALDAQ" export "$run" --json > "$tmp/run.json"
"$CALDAQ" verify "$run" > /dev/null

# The recorded conversation replays; a second acquisition reads the same.
"$CALDAQ" trace "$run" > "$tmp/run.trace"
"$CALDAQ" sim --trace "$tmp/run.trace" --port-link "$tmp/replay" --fast >/dev/null 2>"$tmp/replay.err" &
replay=$!
wait_for "$tmp/replay"
"$CALDAQ" acquire --driver sbi --port "$tmp/replay" --serial 1200,7O1 --points 0,100,200 \
    --repeat 3 --out "$tmp/b" > /dev/null
wait "$replay" || { cat "$tmp/replay.err" >&2; exit 1; }
"$CALDAQ" export "$(ls "$tmp"/b/*.h5)" --csv > "$tmp/again.csv"
"$PY" - "$tmp/run.json" "$(ls "$tmp"/b/*.h5)" <<'PY'
import json, sys, h5py
first = json.load(open(sys.argv[1]))
with h5py.File(sys.argv[2], "r") as f:
    again = f["readings"][...]
values = [r["value"] for r in first["readings"]]
assert list(again["value"]) == values, (list(again["value"]), values)
print(f"  {len(values)} readings identical through the replayed run trace")
PY

# --stable: the unstable readings read while the balance settles are stored
# too, with their point and role; each repetition ends in a stable one.
"$CALDAQ" sim mtsics --port-link "$tmp/settling" --control "$tmp/ctl2" --settle 0.4 --seed 2 \
    </dev/null >/dev/null 2>&1 &
pids+=($!)
wait_for "$tmp/settling"; wait_for "$tmp/ctl2"
mkdir "$tmp/c"
"$CALDAQ" acquire --driver mtsics --port "$tmp/settling" --points 0,100 --repeat 2 --stable \
    --sim-control "$tmp/ctl2" --out "$tmp/c" > /dev/null
"$PY" - "$(ls "$tmp"/c/*.h5)" <<'PY'
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    r = f["readings"][...]
status = [s.decode() if isinstance(s, bytes) else str(s) for s in r["status"]]
stable = [i for i, s in enumerate(status) if s == "stable"]
unstable = [i for i, s in enumerate(status) if s == "unstable"]
assert len(stable) == 4, status
assert unstable and all(r["point"][i] == 1 for i in unstable), (status, list(r["point"]))
print(f"  --stable: {len(stable)} stable readings stored with the {len(unstable)} unstable ones before them")
PY

# Change one stored reading with h5py: verify fails and says where.
"$PY" - "$run" <<'PY'
import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:
    r = f["readings"][...]
    r["value"][4] += 0.01
    f["readings"][...] = r
PY
set +e
"$CALDAQ" verify "$run" > "$tmp/verify.out" 2>&1
rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q "/readings" "$tmp/verify.out" || { cat "$tmp/verify.out"; exit 1; }
echo "acquire.sh: ok"
