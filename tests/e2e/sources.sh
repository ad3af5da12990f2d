#!/usr/bin/env bash
# End to end: sources caldaq sets and waits on (issue 19, docs/sources.md).
# 1. An unattended DKD-R 6-1 sequence (up, down, up: 27 points) against the
#    simulated Druck PACE on TCP, the item the Modbus gauge simulator that
#    the session presents each load to: no prompt, complete, one line per
#    point saying where the PACE settled, the set points and waits in the
#    run's audit log, the PACE vented at the end. 1b: the session replayed
#    from its two conversations (the gauge's, the PACE's) gives the same
#    readings and results.
# 2. A PACE that never reaches its set point (stall=): the session times out
#    (exit 4) with the point, the set point and the last actual value, the
#    PACE is vented (its own SCPI vent state), the run's log says so, and
#    --resume against a healthy PACE completes.
# 2b. Ctrl-C while the PACE is on its way: exit 3, vented, the resume command
#    carries the source.
# 2c. A set point beyond the PACE's range (capacity=): the PACE refuses it in
#    its error queue (:SYST:ERR? after every set), the session stops (exit 4)
#    saying so, the PACE vented.
# 3. The same set-and-wait with the simulated bath for a temperature
#    profile whose thermometers are read by eye (--typed).
# Every wait is short: --source-stable-s, --source-timeout-s, tau_s=.
source "$(dirname "$0")/common.bash"
show() { echo "--- $1" >&2; cat "$1" >&2; }
sed -e 's/due: 20[0-9][0-9]-/due: 2099-/' tests/fixtures/standards/example-lab-fixed-dates.yaml > "$tmp/reg.yaml"
PACE=profiles/pressure-dkd-r6-1-pace.yaml
WAIT=(--source-stable-s 0.3 --source-poll-ms 50)

# a PACE simulator on TCP: start_pace NAME OPTION...; its port in $port
start_pace() {
    local name=$1
    shift
    "$CALDAQ" sim pace --tcp 0 --seed 2 --set tau_s=0.1 "$@" </dev/null >"$tmp/$name.out" 2>&1 &
    pids+=($!)
    eval "${name}_pid=$!"
    for _ in $(seq 100); do [ -s "$tmp/$name.out" ] && break; sleep 0.05; done
    port=$(head -n 1 "$tmp/$name.out")
    [[ "$port" =~ ^[0-9]+$ ]] || { show "$tmp/$name.out"; fail "no TCP port from caldaq sim pace"; }
}
# the PACE's own answer to a query
scpi() {
    "$PY" - "$1" "$2" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(sys.argv[2].encode() + b"\n")
print(s.makefile("rb").readline().decode().strip())
PY
}
"$CALDAQ" sim modbus --port-link "$tmp/gauge" --control "$tmp/gauge.ctl" --advance 0 --settle 0 \
    --loads 0 --noise 0.0003 --capacity 25 --seed 5 </dev/null >"$tmp/gauge.sim.out" 2>&1 &
pids+=($!)
wait_for "$tmp/gauge"
wait_for "$tmp/gauge.ctl"
GAUGE=(--port "$tmp/gauge" --sim-control "$tmp/gauge.ctl" --set preset=keller --set stable_n=2
       --set stable_s=0.01 --standards "$tmp/reg.yaml" --batch --lang en)

# --- 1. unattended up, down, up ---------------------------------------------
start_pace pace1
mkdir "$tmp/runs1"
timeout 300 "$CALDAQ" session --profile "$PACE" --out "$tmp/runs1" "${GAUGE[@]}" \
    --source-port "tcp:127.0.0.1:$port" "${WAIT[@]}" --source-timeout-s 10 </dev/null \
    >"$tmp/s1.out" 2>"$tmp/s1.err" || { show "$tmp/s1.out"; show "$tmp/s1.err"; fail "unattended session: status $?"; }
grep -q "^Source reports: GE Druck PACE5000, serial 5000-0001$" "$tmp/s1.out" || fail "no source identity"
[ "$(grep -c '^\[[0-9]*/27\] set point .* bar: within ±0.002 bar for ' "$tmp/s1.out")" -eq 27 ] \
    || { show "$tmp/s1.out"; fail "not one settled line per point"; }
grep -q "Enter" "$tmp/s1.out" && fail "a prompt in an unattended session"
grep -q "^The pressure controller is vented (safe state)$" "$tmp/s1.out" || fail "not vented at the end"
grep -q "^Overall verdict: " "$tmp/s1.out" || fail "no verdict"
run1=$(ls "$tmp"/runs1/*.h5)
"$PY" - "$run1" <<'PY' || fail "the run's log lacks the set points and waits"
import sys, h5py
f = h5py.File(sys.argv[1], "r")
assert f.attrs.get("status", b"") in (b"complete", "complete"), f.attrs.get("status")
what = [w.decode() if isinstance(w, bytes) else w for w in f["audit"]["what"][...]]
sets = [w for w in what if ": source set to " in w and "within ±0.002 bar" in w]
assert len(sets) == 27, len(sets)
noms = [float(w.split("source set to ")[1].split()[0]) for w in sets]
up = [0, 2.5, 5, 7.5, 10, 12.5, 15, 17.5, 20]
assert noms == up + up[::-1] + up, noms
assert any("source put in its safe state: vented" in w for w in what)
print(f"  {len(sets)} set points up, down, up; each with the stability reached")
PY
[ "$(scpi "$port" ':SOUR:PRES:LEV:IMM:AMPL:VENT?' | cut -d' ' -f2)" != 0 ] || fail "PACE not vented after the run"

# --- 1b. the unattended session replays: the gauge's conversation (the run's
# trace) and the PACE's (RUN.h5.source.trace) played together give the same
# readings and results, byte for byte
[ -s "$run1.source.trace" ] || fail "the PACE's conversation was not recorded beside the run"
grep -q '^# driver: pace$' "$run1.source.trace" || fail "the source's trace names no driver"
"$CALDAQ" trace "$run1" >"$tmp/gauge.trace"
mkdir "$tmp/runs1r"
timeout 300 "$CALDAQ" replay "$tmp/gauge.trace" --profile "$PACE" --out "$tmp/runs1r" \
    --set preset=keller --set stable_n=2 --set stable_s=0.01 --standards "$tmp/reg.yaml" --lang en \
    --source-trace "$run1.source.trace" "${WAIT[@]}" --source-timeout-s 10 --fast </dev/null \
    >"$tmp/r1.out" 2>&1 || { show "$tmp/r1.out"; fail "the replay of the PACE session: status $?"; }
"$PY" - "$run1" "$(ls "$tmp"/runs1r/*.h5)" <<'PY' || fail "the replayed PACE run differs"
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
print(f"  replayed (gauge and PACE): {len(ra)} readings and the results identical")
PY

# --- 2. a PACE that never gets there: timeout, vented, resumable -------------
start_pace pace2 --set stall=0.05
mkdir "$tmp/runs2"
set +e
timeout 120 "$CALDAQ" session --profile "$PACE" --out "$tmp/runs2" "${GAUGE[@]}" \
    --source-port "tcp:127.0.0.1:$port" "${WAIT[@]}" --source-timeout-s 1.5 </dev/null \
    >"$tmp/s2.out" 2>"$tmp/s2.err"
status=$?
set -e
[ "$status" -eq 4 ] || { show "$tmp/s2.out"; show "$tmp/s2.err"; fail "stalled PACE: status $status, not 4"; }
grep -q "^The source did not settle at point 2: source did not settle at test point 2: set point 2.5 bar, last actual 2.5[0-9]* bar, not within ±0.002 bar" "$tmp/s2.out" \
    || { show "$tmp/s2.out"; fail "no clear timeout message naming point, set point and last actual"; }
grep -q "^The pressure controller is vented (safe state)$" "$tmp/s2.out" || fail "not said vented"
vent=$(scpi "$port" ':SOUR:PRES:LEV:IMM:AMPL:VENT?')
[[ "$vent" =~ ^:SOUR:PRES:LEV:IMM:AMPL:VENT\ [12]$ ]] || fail "the PACE is not venting: $vent"
resume=$(grep -A1 "then continue with:" "$tmp/s2.out" | tail -n 1 | sed 's/^  //')
[[ "$resume" == *"--source-port tcp:127.0.0.1:$port"* && "$resume" == *"--source-timeout-s 1.5"* ]] \
    || fail "the resume command lacks the source: $resume"
kill "$pace2_pid"; wait "$pace2_pid" 2>/dev/null || true
start_pace pace3
run2=$(ls "$tmp"/runs2/*.h5)
timeout 300 "$CALDAQ" session --resume "$run2" "${GAUGE[@]}" --source-port "tcp:127.0.0.1:$port" \
    "${WAIT[@]}" --source-timeout-s 10 </dev/null >"$tmp/s3.out" 2>"$tmp/s3.err" \
    || { show "$tmp/s3.out"; show "$tmp/s3.err"; fail "resume: status $?"; }
grep -q "^Overall verdict: " "$tmp/s3.out" || fail "resume: no verdict"
[ "$(grep -c '^\[[0-9]*/27\] set point ' "$tmp/s3.out")" -eq 26 ] || { show "$tmp/s3.out"; fail "resume: not the 26 remaining points"; }

# --- 2b. Ctrl-C while the PACE is on its way: exit 3, vented, resumable ------
start_pace pace4 --set stall=0.05
mkdir "$tmp/runs5"
timeout 120 "$CALDAQ" session --profile "$PACE" --out "$tmp/runs5" "${GAUGE[@]}" \
    --source-port "tcp:127.0.0.1:$port" "${WAIT[@]}" --source-timeout-s 60 </dev/null \
    >"$tmp/s5.out" 2>"$tmp/s5.err" &
spid=$!
for _ in $(seq 200); do grep -q '^\[1/27\] set point' "$tmp/s5.out" && break; sleep 0.05; done
sleep 0.5
kill -INT "$spid"
set +e
wait "$spid"
status=$?
set -e
[ "$status" -eq 3 ] || { show "$tmp/s5.out"; show "$tmp/s5.err"; fail "Ctrl-C while waiting: status $status, not 3"; }
grep -q "^The pressure controller is vented (safe state)$" "$tmp/s5.out" || fail "Ctrl-C: not said vented"
grep -q "caldaq session --resume .*--source-port tcp:127.0.0.1:$port" "$tmp/s5.out" || { show "$tmp/s5.out"; fail "Ctrl-C: no resume command with the source"; }
[[ "$(scpi "$port" ':SOUR:PRES:LEV:IMM:AMPL:VENT?')" =~ \ [12]$ ]] || fail "Ctrl-C: the PACE is not venting"

# --- 2c. a set point beyond the controller's range: refused, said, vented -----
start_pace pace6 --capacity 15
mkdir "$tmp/runs6"
set +e
timeout 120 "$CALDAQ" session --profile "$PACE" --out "$tmp/runs6" "${GAUGE[@]}" \
    --source-port "tcp:127.0.0.1:$port" "${WAIT[@]}" --source-timeout-s 10 </dev/null \
    >"$tmp/s6.out" 2>"$tmp/s6.err"
status=$?
set -e
[ "$status" -eq 4 ] || { show "$tmp/s6.out"; show "$tmp/s6.err"; fail "a refused set point: status $status, not 4"; }
grep -q 'pace: the controller did not take the set point 17.5: it reports -222,"Data out of range"' \
    "$tmp/s6.out" "$tmp/s6.err" || { show "$tmp/s6.out"; show "$tmp/s6.err"; fail "the refused set point not said"; }
[ "$(grep -c '^\[[0-9]*/27\] set point .* bar: within ' "$tmp/s6.out")" -eq 7 ] \
    || { show "$tmp/s6.out"; fail "not the 7 points below 17.5 bar before the refusal"; }
grep -q "^The pressure controller is vented (safe state)$" "$tmp/s6.out" || fail "refused set point: not vented"

# --- 3. the bath, a temperature point -----------------------------------------
"$CALDAQ" sim bath --port-link "$tmp/bath" --control "$tmp/bath.ctl" --seed 4 --set tau_s=0.1 \
    </dev/null >"$tmp/bath.sim.out" 2>&1 &
pids+=($!)
wait_for "$tmp/bath"
printf '35,35.01\n35,35.002\n37,36.99\n37,37.001\n' > "$tmp/typed.txt"
mkdir "$tmp/runs4"
timeout 120 "$CALDAQ" session --profile profiles/temperature-bath-setpoint.yaml --out "$tmp/runs4" \
    --standards "$tmp/reg.yaml" --batch --lang en --typed "$tmp/typed.txt" \
    --source-port "$tmp/bath" "${WAIT[@]}" --source-timeout-s 10 </dev/null \
    >"$tmp/s4.out" 2>"$tmp/s4.err" || { show "$tmp/s4.out"; show "$tmp/s4.err"; fail "bath session: status $?"; }
grep -q "^Source reports: Hart Scientific 7341, serial -$" "$tmp/s4.out" || { show "$tmp/s4.out"; fail "no bath identity"; }
grep -q "^\[1/2\] set point 35 °C: within ±0.02 °C for " "$tmp/s4.out" || { show "$tmp/s4.out"; fail "no settled line at 35 °C"; }
grep -q "^\[2/2\] set point 37 °C: within ±0.02 °C for " "$tmp/s4.out" || fail "no settled line at 37 °C"
grep -q "^The bath is left at its set point 37 °C (safe state)$" "$tmp/s4.out" || fail "bath: safe state not said"
echo "sources: unattended PACE up/down/up, a stalled PACE timed out vented and resumed, the bath set and waited on"
