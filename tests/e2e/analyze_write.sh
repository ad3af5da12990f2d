#!/usr/bin/env bash
# End to end: `caldaq analyze RUN --write` run by several writers at once.
# Each takes the run's writer lock (RUN.h5.lock) before reading it, so each
# adds the version after the one before: 8 writers on a run with results v1
# report v2 to v9 once each, the run holds v1 to v9, verifies, and no lock
# file is left. (Without the lock two writers read v1, both stored "v2",
# and the last rename lost the other; or they wrote the same RUN.h5.tmp and
# one failed.)
source "$(dirname "$0")/common.bash"
show() { echo "--- $1" >&2; cat "$1" >&2; }
N=8

sed -e 's/due: 20[0-9][0-9]-/due: 2099-/' tests/fixtures/standards/example-lab-fixed-dates.yaml > "$tmp/reg.yaml"
"$CALDAQ" sim mtsics --port-link "$tmp/bal" --control "$tmp/ctl" --advance 0 --settle 0 \
    --loads 0 --noise 0.0004 --resolution 0.001 --seed 3 </dev/null >"$tmp/sim.out" 2>&1 &
pids+=($!)
wait_for "$tmp/bal"
wait_for "$tmp/ctl"
mkdir "$tmp/runs"
timeout 120 "$CALDAQ" session --profile profiles/balance-cg18-class-ii.yaml --port "$tmp/bal" --out "$tmp/runs" \
    --standards "$tmp/reg.yaml" --batch --sim-control "$tmp/ctl" > "$tmp/session.out" 2>&1 \
    || { show "$tmp/session.out"; fail "the session: status $?"; }
run=$(ls "$tmp"/runs/*.h5)

writers=()
for i in $(seq "$N"); do
    timeout 120 "$CALDAQ" analyze "$run" --write --json --operator "writer $i" \
        > "$tmp/w$i.json" 2> "$tmp/w$i.err" &
    writers+=($!)
done
for i in $(seq "$N"); do
    rc=0
    wait "${writers[$((i - 1))]}" || rc=$?
    [ "$rc" -eq 0 ] || { show "$tmp/w$i.err"; fail "writer $i: status $rc"; }
done
"$PY" - "$run" "$N" "$tmp" <<'PY' || fail "concurrent writers"
import json, sys, h5py
run, n, tmp = sys.argv[1], int(sys.argv[2]), sys.argv[3]
reported = sorted(json.load(open(f"{tmp}/w{i}.json"))["results_version"] for i in range(1, n + 1))
assert reported == list(range(2, n + 2)), f"the writers reported {reported}"
with h5py.File(run, "r") as f:
    stored = sorted(int(k[1:]) for k in f["results"])
    who = [w.decode() for w in f["audit"]["who"]]
assert stored == list(range(1, n + 2)), f"the run holds results {stored}"
assert all(f"writer {i}" in who for i in range(1, n + 1)), who
print(f"  {n} writers at once: versions {reported[0]}..{reported[-1]}, one each, all in the run")
PY
"$CALDAQ" verify "$run" > /dev/null || fail "the run does not verify after the writers"
[ ! -e "$run.lock" ] || fail "the lock file was left behind"
echo "analyze_write.sh: ok"
