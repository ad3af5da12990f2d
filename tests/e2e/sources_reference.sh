#!/usr/bin/env bash
# End to end (issue 19, docs/sources.md): a bath caldaq sets, with both
# thermometers read by instruments (the item on the fluke-ttr simulator,
# the reference readout on the fluke-1529 simulator).
# 1. Set-and-wait watches the reference: the bath's own reading settles at
#    once, but the reference readout drifts (drift_per_s): the session keeps
#    waiting and takes no point; once the drift stops (the simulator's
#    control, `set drift_per_s=0`) the point is taken, its line and the
#    run's log saying the reference was stable.
# 2. The session replays: its three conversations (the item's in the run,
#    RUN.h5.ref.trace and RUN.h5.source.trace) played together by
#    `caldaq replay` give the same readings and the same results; a replay
#    that decides otherwise (a longer stability wait) is refused, naming the
#    test point and the source's trace line.
source "$(dirname "$0")/common.bash"
show() { echo "--- $1" >&2; cat "$1" >&2; }
sed -e 's/due: 20[0-9][0-9]-/due: 2099-/' profiles/standards/example-lab.yaml > "$tmp/reg.yaml"
# the comparison profile with a bath caldaq sets, two points, two readings each
sed -e 's/^register: .*/&\nsource: {driver: bath, band: 0.02, stable_for_s: 60, timeout_s: 1800}/' \
    -e 's/^    points: \[20, 40, 60, 80\]/    points: [20, 40]/' -e 's/^    repeat: 5/    repeat: 2/' \
    profiles/temperature-comparison-bath.yaml > "$tmp/profile.yaml"
grep -q '^source: {driver: bath' "$tmp/profile.yaml" && grep -q 'points: \[20, 40\]' "$tmp/profile.yaml" \
    || fail "the test profile was not made"

control() { # control SOCKET COMMAND: the simulator's reply
    "$PY" - "$1" "$2" <<'PY'
import socket, sys
c = socket.socket(socket.AF_UNIX)
c.settimeout(5)
c.connect(sys.argv[1])
c.sendall(sys.argv[2].encode() + b"\n")
print(c.makefile("rb").readline().decode().strip())
PY
}
"$CALDAQ" sim bath --port-link "$tmp/bath" --seed 4 --set tau_s=0.1 </dev/null >"$tmp/bath.out" 2>&1 &
pids+=($!)
"$CALDAQ" sim fluke-ttr --port-link "$tmp/item" --control "$tmp/item.ctl" --advance 0 --settle 0 \
    --loads 20 --noise 0.002 --seed 4 </dev/null >"$tmp/item.out" 2>&1 &
pids+=($!)
# the reference readout drifts 0.5 °C/s: never within a ±0.02 °C window for 0.3 s
"$CALDAQ" sim fluke-1529 --port-link "$tmp/ref" --control "$tmp/ref.ctl" --advance 0 --settle 0 \
    --loads 20 --noise 0.001 --seed 6 --drift 0.5 </dev/null >"$tmp/ref.out" 2>&1 &
pids+=($!)
for f in bath item item.ctl ref ref.ctl; do wait_for "$tmp/$f"; done
SRC=(--source-stable-s 0.3 --source-poll-ms 50 --source-timeout-s 30)
WIN=(--set stable_n=2 --set stable_s=0.01)
REFWIN=(--ref-set stable_n=2 --ref-set stable_s=0.01)

# --- 1. the bath settled, the reference drifting: no point taken ------------
mkdir "$tmp/runs"
"$CALDAQ" session --profile "$tmp/profile.yaml" --standards "$tmp/reg.yaml" --port "$tmp/item" \
    "${WIN[@]}" --sim-control "$tmp/item.ctl" --ref-port "$tmp/ref" "${REFWIN[@]}" \
    --ref-sim-control "$tmp/ref.ctl" --source-port "$tmp/bath" "${SRC[@]}" --batch --lang en \
    --out "$tmp/runs" --env 21,45 </dev/null >"$tmp/s.out" 2>"$tmp/s.err" &
spid=$!
pids+=($spid)
# the wait has begun once the bath is set (its conversation, beside the run)
for _ in $(seq 200); do grep -qs '> "s=20' "$tmp"/runs/*.source.trace && break; sleep 0.05; done
grep -qs '> "s=20' "$tmp"/runs/*.source.trace || { show "$tmp/s.err"; fail "the bath was not set"; }
sleep 3 # the bath's own reading is within ±0.02 °C after well under a second
kill -0 "$spid" 2>/dev/null || { show "$tmp/s.out"; show "$tmp/s.err"; fail "the session ended while the reference drifted"; }
grep -q '^\[1/' "$tmp/s.out" && { show "$tmp/s.out"; fail "a point was taken while the reference drifted"; }
echo "  3 s with the bath settled and the reference drifting: still waiting, no point taken"
[ "$(control "$tmp/ref.ctl" 'set drift_per_s=0')" = "ok drift_per_s=0" ] || fail "the drift was not stopped"
set +e
timeout 120 tail --pid="$spid" -f /dev/null
wait "$spid"
status=$?
set -e
[ "$status" -eq 0 ] || { show "$tmp/s.out"; show "$tmp/s.err"; fail "the session: status $status"; }
grep -q "^The reference instrument's readings decide when a point is stable$" "$tmp/s.out" \
    || { show "$tmp/s.out"; fail "the session does not say the reference decides"; }
line=$(grep '^\[1/2\] set point 20 °C: within ±0.02 °C for ' "$tmp/s.out") \
    || { show "$tmp/s.out"; fail "no settled line at 20 °C"; }
after=$(sed -e 's/.*, after \([0-9.]*\) s.*/\1/' <<<"$line")
awk -v a="$after" 'BEGIN { exit !(a >= 3) }' || fail "point 1 taken after $after s, before the drift stopped"
grep -q '^  the reference read [0-9.]* °C, within a ±0.02 °C window for 0\.[3-9] s$' "$tmp/s.out" \
    || { show "$tmp/s.out"; fail "no line saying the reference was stable"; }
run=$(ls "$tmp"/runs/*.h5)
"$CALDAQ" verify "$run" >/dev/null || fail "the run does not verify"
[ -s "$run.source.trace" ] && [ -s "$run.ref.trace" ] || fail "the source's or the reference's trace is missing"
"$PY" - "$run" <<'PY' || fail "the run's log does not say how the wait was judged"
import sys, h5py
f = h5py.File(sys.argv[1], "r")
what = [w.decode() if isinstance(w, bytes) else w for w in f["audit"]["what"][...]]
assert any("stability judged on the reference instrument's readings" in w
           and sys.argv[1] + ".source.trace" in w for w in what), what
sets = [w for w in what if ": source set to " in w]
assert len(sets) == 2 and all("the reference stable, last read " in w for w in sets), sets
print(f"  point 1 taken after {sets[0].split(' after ')[1].split(' s')[0]} s, once the reference was stable")
PY

# --- 2. the three conversations replayed together ---------------------------
"$CALDAQ" trace "$run" >"$tmp/item.trace"
replay() { # replay DIR STABLE_S: caldaq replay of the run into DIR
    mkdir "$tmp/$1"
    timeout 200 "$CALDAQ" replay "$tmp/item.trace" --profile "$tmp/profile.yaml" \
        --standards "$tmp/reg.yaml" "${WIN[@]}" "${REFWIN[@]}" --ref-trace "$run.ref.trace" \
        --source-trace "$run.source.trace" --source-stable-s "$2" --source-poll-ms 50 \
        --source-timeout-s 30 --env 21,45 --lang en --fast --out "$tmp/$1" \
        </dev/null >"$tmp/$1.out" 2>&1
}
replay again 0.3 || { show "$tmp/again.out"; fail "the replay of the bath session failed"; }
"$PY" - "$run" "$(ls "$tmp"/again/*.h5)" <<'PY' || fail "the replayed run differs"
import json, sys, h5py
a, b = (h5py.File(p, "r") for p in sys.argv[1:3])
ra, rb = a["readings"][...], b["readings"][...]
assert len(ra) == len(rb) > 0, (len(ra), len(rb))
for n in ra.dtype.names:
    if n != "t":   # when it was read: the replay's own clock
        assert (ra[n] == rb[n]).all(), n
ja, jb = (json.loads(f["results"]["v1"][()]) for f in (a, b))
ja.pop("run_id"), jb.pop("run_id")
assert ja == jb, "results differ"
print(f"  replayed (item, reference, source): {len(ra)} readings and the results identical")
PY
if replay longer 0.6; then fail "a replay waiting longer than the recorded session was accepted"; fi
grep -q "at test point 1, the source's trace: replay diverged at trace line [0-9]*: the host wrote \"t\\\\r\", the trace expects \"s=40" "$tmp/longer.out" \
    || { show "$tmp/longer.out"; fail "the diverging replay does not name the point and the source's trace line"; }
echo "  a replay that waits longer: refused, $(grep -o 'at test point 1, .*' "$tmp/longer.out" | cut -c1-90)"
echo "sources_reference.sh: ok"
