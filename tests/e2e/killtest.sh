#!/usr/bin/env bash
# Crash safety of run files: `caldaq acquire` against a simulator is killed
# with SIGKILL at random moments (KILLTEST_N times, default 50; `make
# killtest` runs more). After each kill every run file that exists opens
# with the HDF5 library (Debian's h5py, an independent reader), says
# "in-progress" or "complete" (never a false complete: a complete run has
# every point), holds every reading of every point it contains, and passes
# `caldaq verify`. Needs CALDAQ.
set -euo pipefail
: "${CALDAQ:?path of the caldaq binary}"
PY=/usr/bin/python3
N=${KILLTEST_N:-50}
tmp=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

"$CALDAQ" sim mtsics --port-link "$tmp/bal" --control "$tmp/ctl" --settle 0 --seed 9 --fault delay=4 \
    </dev/null >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -e "$tmp/bal" ] && [ -S "$tmp/ctl" ] && break; sleep 0.05; done

POINTS=0,50,100,150,200,250,300,350
REPEAT=4
RANDOM=4242    # reproducible kill moments
complete=0 partial=0 none=0
for i in $(seq "$N"); do
    out="$tmp/runs$i"
    mkdir "$out"
    "$CALDAQ" acquire --driver mtsics --port "$tmp/bal" --points $POINTS --repeat $REPEAT \
        --sim-control "$tmp/ctl" --out "$out" --operator killtest > "$out.log" 2>&1 &
    victim=$!
    # kill somewhere in 0..400 ms: before creation, mid-point, mid-snapshot, after the end
    sleep "0.$(printf '%03d' $((RANDOM % 400)))"
    kill -9 "$victim" 2>/dev/null || true
    wait "$victim" 2>/dev/null || true
    run=$(ls "$out"/*.h5 2>/dev/null | head -1 || true)
    if [ -z "$run" ]; then
        ! grep -q 'readings saved' "$out.log" || { echo "kill $i: points reported saved, no file" >&2; exit 1; }
        none=$((none + 1)); rm -rf "$out" "$out.log"; continue
    fi
    saved=$(grep -c 'readings saved' "$out.log" || true)
    state=$("$PY" - "$run" "$POINTS" "$REPEAT" "$saved" <<'PY'
import sys, h5py
path, points, repeat = sys.argv[1], sys.argv[2].split(","), int(sys.argv[3])
saved = int(sys.argv[4])   # points acquire had reported safe before the kill
with h5py.File(path, "r") as f:
    status = f.attrs["status"]
    status = status.decode() if isinstance(status, bytes) else str(status)
    assert status in ("in-progress", "complete"), status
    r = f["readings"][...]
    per_point = {}
    for p in r["point"]:
        per_point[int(p)] = per_point.get(int(p), 0) + 1
    # every point in the file is whole, and points come in order
    assert all(n == repeat for n in per_point.values()), per_point
    assert sorted(per_point) == list(range(len(per_point))), per_point
    if status == "complete":
        assert len(per_point) == len(points), per_point
    assert len(per_point) >= saved, (saved, per_point)
print(status)
PY
)
    "$CALDAQ" verify "$run" > /dev/null || { echo "kill $i: verify failed on $run" >&2; exit 1; }
    if [ "$state" = complete ]; then complete=$((complete + 1)); else partial=$((partial + 1)); fi
    rm -rf "$out" "$out.log"
done
echo "killtest.sh: $N kills: $partial in-progress, $complete complete, $none before the file existed: ok"
