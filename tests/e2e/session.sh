#!/usr/bin/env bash
# End to end: `caldaq session`. Batch sessions for every family against its
# simulator (balance class II on MT-SICS, SBI and A&D; DMM on SCPI; pressure
# gauge on Modbus RTU and Modbus TCP): exit 0, the run verifies, h5py reads
# it back (complete, the plan's number of stable readings at every point,
# results v1 with a verdict and per-point error and U, the instrument's
# identity). Exit statuses: broken profile 1, standard past its due date 1
# (no run file), usage 2, missing port 4 (no run file). Instrument faults
# mid-session (disconnect, garbage, silence): exit 4, the point and the
# resume command on stdout, every finished point in the run; --resume
# against a healthy simulator completes without touching what was saved.
# An interactive session aborted with "a" exits 3 and resumes. Last, the
# resume command printed by a failed session is run as printed.
source "$(dirname "$0")/common.bash"
wait_gone() { for _ in $(seq 100); do [ -e "$1" ] || [ -L "$1" ] || return 0; sleep 0.05; done; fail "$1 still there"; }
show() { echo "--- $1" >&2; cat "$1" >&2; }

# A register whose standards are in date whenever the test runs.
sed -e 's/due: 20[0-9][0-9]-/due: 2099-/' tests/fixtures/standards/example-lab-fixed-dates.yaml > "$tmp/reg.yaml"

BAL=profiles/balance-cg18-class-ii.yaml
DMM=profiles/dmm-dcv-6half.yaml
GAUGE=profiles/pressure-dkd-r6-1.yaml
for p in "$BAL" "$DMM" "$GAUGE"; do
    "$CALDAQ" profile check "$p" --no-standards --json > "$tmp/$(basename "$p" .yaml).plan.json" \
        || fail "$p does not check"
done
plan() { echo "$tmp/$(basename "$1" .yaml).plan.json"; }

# Simulators. The meter and the gauge have no stability flag: the session
# applies the window of docs/drivers.md (its band from the point's MPE),
# made short here: two readings 10 ms apart.
BAL_SIM=(--loads 0 --noise 0.0004 --resolution 0.001 --seed 3)
DMM_SIM=(--loads 0 --noise 0.0000002 --seed 7)
GAUGE_SIM=(--loads 0 --noise 0.0003 --capacity 25 --seed 5)
WINDOW=(--set stable_n=2 --set stable_s=0.01)
DMM_SES=("${WINDOW[@]}")
GAUGE_SES=(--set preset=keller "${WINDOW[@]}")

# start_sim NAME DRIVER OPTION...: a simulator on a pty linked at $tmp/NAME,
# control socket $tmp/NAME.ctl.
declare -A sim_pid
start_sim() {
    local name=$1 driver=$2
    shift 2
    "$CALDAQ" sim "$driver" --port-link "$tmp/$name" --control "$tmp/$name.ctl" --advance 0 \
        --settle 0 "$@" </dev/null >"$tmp/$name.sim.out" 2>&1 &
    sim_pid[$name]=$!
    pids+=($!)
    wait_for "$tmp/$name"
    wait_for "$tmp/$name.ctl"
}
stop_sim() {
    kill "${sim_pid[$1]}"
    wait "${sim_pid[$1]}" 2>/dev/null || true
    wait_gone "$tmp/$1"
    wait_gone "$tmp/$1.ctl"
}

# The independent reader of run files.
cat > "$tmp/runcheck.py" <<'PY'
"""runcheck.py complete RUN PLAN DRIVER MANUFACTURER SERIAL
   runcheck.py partial RUN PLAN POINT SNAPSHOT     (POINT: 1-based, where it stopped)
   runcheck.py resumed RUN PLAN SNAPSHOT"""
import collections, json, math, sys, h5py

def s(x):
    return x.decode() if isinstance(x, bytes) else str(x)

def plan(path):
    return json.load(open(path, encoding="utf-8"))["points"]

def stable(rd):
    c = collections.Counter()
    for r in rd:
        if s(r["status"]) == "stable" and math.isfinite(r["value"]):
            c[int(r["point"])] += 1
    return c

def rows(rd):
    return [repr((float(r["t"]), int(r["point"]), int(r["repetition"]), float(r["nominal"]),
                  float(r["value"]), s(r["unit"]), s(r["status"]), s(r["display"]), s(r["role"])))
            for r in rd]

def check_complete(f, pts):
    assert s(f.attrs["status"]) == "complete", s(f.attrs["status"])
    rd = f["readings"][...]
    n = stable(rd)
    for p in pts:
        i = p["index"] - 1
        assert n[i] == p["repeat"], f"point {p['index']}: {n[i]} stable readings, plan {p['repeat']}"
    assert set(n) == {p["index"] - 1 for p in pts}, sorted(n)
    for r in rd:     # every reading carries its plan point's nominal value and role
        p = pts[int(r["point"])]
        assert float(r["nominal"]) == p["nominal"] and s(r["role"]) == p["role"], (r, p)
    assert list(f["results"]) == ["v1"], list(f["results"])
    doc = json.loads(f["results"]["v1"][()])
    assert doc["verdict"] in ("pass", "conditional pass", "conditional fail", "fail"), doc["verdict"]
    assert doc["complete"] is True
    assert doc["points"], "no result points"
    for p in doc["points"]:
        assert p["measured"], p
        assert math.isfinite(p["error"]) and p["U"] > 0 and math.isfinite(p["U"]), p
    return doc

cmd, run = sys.argv[1], sys.argv[2]
pts = plan(sys.argv[3])
with h5py.File(run, "r") as f:
    if cmd == "complete":
        driver, manufacturer, serial = sys.argv[4:7]
        doc = check_complete(f, pts)
        dev = {k: s(v) for k, v in f["device"].attrs.items()}
        assert dev["driver"] == driver and dev["manufacturer"] == manufacturer, dev
        assert dev["model"] != "" and (serial == "-" or dev["serial"] == serial), dev
        print(f"  {driver}: {len(pts)} points, {len(f['readings'])} readings, "
              f"{dev['manufacturer']} {dev['model']} serial {dev['serial'] or '-'}, verdict {doc['verdict']}")
    elif cmd == "partial":
        at, snap = int(sys.argv[4]) - 1, sys.argv[5]
        assert s(f.attrs["status"]) in ("aborted", "in-progress"), s(f.attrs["status"])
        rd = f["readings"][...]
        n = stable(rd)
        for p in pts:
            i = p["index"] - 1
            if i < at:
                assert n[i] == p["repeat"], f"finished point {i + 1}: {n[i]} of {p['repeat']} readings"
            elif i == at:
                assert n[i] < p["repeat"], f"point {i + 1} where it stopped has all its readings"
            else:
                assert n[i] == 0, f"point {i + 1} after the stop has readings"
        assert "results" not in f or len(f["results"]) == 0
        json.dump(rows(rd), open(snap, "w"))
        done = f"points 1-{at} complete in the run, " if at > 0 else ""
        print(f"  stopped at point {at + 1}: {done}{n[at]} of {pts[at]['repeat']} readings "
              f"of point {at + 1} kept, status {s(f.attrs['status'])}")
    elif cmd == "resumed":
        before = json.load(open(sys.argv[4]))
        doc = check_complete(f, pts)
        now = rows(f["readings"][...])
        assert now[:len(before)] == before, "the readings saved before the resume changed"
        print(f"  resumed: the {len(before)} readings saved before are unchanged, "
              f"{len(now) - len(before)} added, verdict {doc['verdict']}")
    else:
        sys.exit(f"runcheck.py: {cmd}?")
PY
runcheck() { "$PY" "$tmp/runcheck.py" "$@" || fail "runcheck $*"; }
the_run() {
    local runs=("$1"/*.h5)
    [ "${#runs[@]}" -eq 1 ] && [ -f "${runs[0]}" ] || fail "not one run file in $1: ${runs[*]}"
    echo "${runs[0]}"
}

# --- batch sessions, every family -----------------------------------------
# batch NAME PROFILE DRIVER MANUFACTURER SERIAL PORT [SESSION OPTION...]
batch() {
    local name=$1 profile=$2 driver=$3 manufacturer=$4 serial=$5 port=$6
    shift 6
    mkdir "$tmp/runs-$name"
    "$CALDAQ" session --profile "$profile" --port "$port" --out "$tmp/runs-$name" \
        --standards "$tmp/reg.yaml" --batch --sim-control "$tmp/$name.ctl" --lang en "$@" \
        > "$tmp/$name.out" 2> "$tmp/$name.err" \
        || { show "$tmp/$name.out"; show "$tmp/$name.err"; fail "$name: session status $?"; }
    local run
    run=$(the_run "$tmp/runs-$name")
    grep -qF "Calibration complete. Run file: $run" "$tmp/$name.out" || { show "$tmp/$name.out"; fail "$name: no completion line"; }
    local n
    n=$("$PY" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["points"]))' "$(plan "$profile")")
    [ "$(grep -c "^\[[0-9]*/$n\] " "$tmp/$name.out")" -eq "$n" ] || { show "$tmp/$name.out"; fail "$name: not one line per point"; }
    grep -q "^Overall verdict: " "$tmp/$name.out" || fail "$name: no verdict line"
    grep -q "^Results stored in the run as version 1$" "$tmp/$name.out" || fail "$name: results not stored"
    "$CALDAQ" verify "$run" > /dev/null || fail "$name: the run does not verify"
    runcheck complete "$run" "$(plan "$profile")" "$driver" "$manufacturer" "$serial"
}

start_sim mt mtsics "${BAL_SIM[@]}" --set serial=B-MT-0001
batch mt "$BAL" mtsics "Mettler Toledo" B-MT-0001 "$tmp/mt"
start_sim sbi sbi "${BAL_SIM[@]}" --set serial=B-SBI-0002
batch sbi "$BAL" sbi Sartorius B-SBI-0002 "$tmp/sbi" --driver sbi
start_sim and aandd "${BAL_SIM[@]}" --set serial=B-AND-0003
batch and "$BAL" aandd "A&D" B-AND-0003 "$tmp/and" --driver aandd
start_sim dmm scpi "${DMM_SIM[@]}" --set serial=D-0004
batch dmm "$DMM" scpi HEWLETT-PACKARD D-0004 "$tmp/dmm" "${DMM_SES[@]}"
start_sim rtu modbus "${GAUGE_SIM[@]}"
batch rtu "$GAUGE" modbus KELLER - "$tmp/rtu" "${GAUGE_SES[@]}"
"$CALDAQ" sim modbus --tcp 0 --control "$tmp/tcp.ctl" --advance 0 --settle 0 "${GAUGE_SIM[@]}" \
    </dev/null >"$tmp/tcp.sim.out" 2>&1 &
pids+=($!)
wait_for "$tmp/tcp.ctl"
for _ in $(seq 100); do [ -s "$tmp/tcp.sim.out" ] && break; sleep 0.05; done
tcp_port=$(head -n 1 "$tmp/tcp.sim.out")
[[ "$tcp_port" =~ ^[0-9]+$ ]] || { show "$tmp/tcp.sim.out"; fail "no TCP port from caldaq sim --tcp 0"; }
batch tcp "$GAUGE" modbus KELLER - "tcp:127.0.0.1:$tcp_port" "${GAUGE_SES[@]}"

# Garbage glued to the front of a balance's reply is read through
# (docs/drivers-balances.md, "Noise and stray lines"): the session completes
# with the very readings of the clean MT-SICS run (same seed, same requests).
start_sim mtg mtsics "${BAL_SIM[@]}" --set serial=B-MT-0001 --fault garbage=5
batch mtg "$BAL" mtsics "Mettler Toledo" B-MT-0001 "$tmp/mtg"
"$PY" - "$(the_run "$tmp/runs-mt")" "$(the_run "$tmp/runs-mtg")" <<'PY' || fail "garbage on MT-SICS changed the readings"
import sys, h5py
a, b = (h5py.File(p, "r")["readings"]["value"][...] for p in sys.argv[1:3])
assert list(a) == list(b), (list(a), list(b))
print(f"  MT-SICS with garbage every 5th reply: the same {len(b)} readings as without")
PY
stop_sim mtg

# A complete run has nothing to resume: status 1, the file untouched.
run=$(the_run "$tmp/runs-mt")
sum=$(sha256sum < "$run")
set +e
"$CALDAQ" session --resume "$run" --port "$tmp/mt" --standards "$tmp/reg.yaml" --batch \
    --sim-control "$tmp/mt.ctl" > "$tmp/again.out" 2> "$tmp/again.err"
rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q "nothing to resume" "$tmp/again.err" || { show "$tmp/again.err"; fail "resume of a complete run: status $rc"; }
[ "$(sha256sum < "$run")" = "$sum" ] || fail "resume of a complete run changed the file"

# --- exit statuses --------------------------------------------------------
# expect_status N NAME COMMAND...: the status, and no run file in $tmp/x-NAME.
expect_status() {
    local want=$1 name=$2
    shift 2
    mkdir "$tmp/x-$name"
    set +e
    "$@" --out "$tmp/x-$name" > "$tmp/x-$name.out" 2> "$tmp/x-$name.err"
    local rc=$?
    set -e
    [ "$rc" -eq "$want" ] || { show "$tmp/x-$name.out"; show "$tmp/x-$name.err"; fail "$name: status $rc, not $want"; }
    [ -z "$(ls -A "$tmp/x-$name")" ] || fail "$name: left $(ls -A "$tmp/x-$name") behind"
}
printf 'caldaq_profile: 1\nname: x\ntitle: {en: a, vi: b}\nmethod: m\nfamily: balance\ninstrument:\n  unit: g\n  resolution: -0.1\n' > "$tmp/bad.yaml"
expect_status 1 bad-profile "$CALDAQ" session --profile "$tmp/bad.yaml" --port "$tmp/mt" \
    --standards "$tmp/reg.yaml" --batch --sim-control "$tmp/mt.ctl"
grep -q "bad.yaml:8: instrument: resolution = -0.1 must be positive" "$tmp/x-bad-profile.err" \
    || { show "$tmp/x-bad-profile.err"; fail "broken profile: message"; }
# The example register with the fixed dates it had until issue 20: its E2
# set was due on 2026-03-10.
FIXED=tests/fixtures/standards/example-lab-fixed-dates.yaml
expect_status 1 expired "$CALDAQ" session --profile "$BAL" --port "$tmp/mt" \
    --standards "$FIXED" --batch --sim-control "$tmp/mt.ctl"
grep -q "W-E2-01 (certificate VD-KL-2025-0412) was due for calibration on 2026-03-10" "$tmp/x-expired.err" \
    || { show "$tmp/x-expired.err"; fail "expired standard: message"; }
# the profile's own register when no --standards is given
sed -e "s|^register: .*|register: $PWD/$FIXED|" "$BAL" > "$tmp/bal-fixed.yaml"
expect_status 1 expired-default "$CALDAQ" session --profile "$tmp/bal-fixed.yaml" --port "$tmp/mt" \
    --batch --sim-control "$tmp/mt.ctl"
for args in "--port $tmp/mt --sim-control $tmp/mt.ctl" "--batch" "--port $tmp/mt --batch --lang fr" \
    "--port $tmp/mt --batch --resume $tmp/none.h5" "--port $tmp/mt --batch --frobnicate"; do
    # shellcheck disable=SC2086
    expect_status 2 usage "$CALDAQ" session --profile "$BAL" --standards "$tmp/reg.yaml" $args
    grep -q "Try 'caldaq session --help'" "$tmp/x-usage.err" || { show "$tmp/x-usage.err"; fail "usage: $args"; }
    rm -r "$tmp/x-usage"
done
expect_status 4 no-port "$CALDAQ" session --profile "$BAL" --port "$tmp/no-such-port" \
    --standards "$tmp/reg.yaml" --batch --sim-control "$tmp/mt.ctl"
grep -q "no-such-port" "$tmp/x-no-port.err" || { show "$tmp/x-no-port.err"; fail "missing port: message"; }
echo "  exit statuses: broken profile 1, expired standard 1, usage 2, missing port 4; no run file left"

# --- instrument faults mid-session, then --resume -------------------------
# fault NAME PROFILE DRIVER SIMOPTS FAULT LANG [SESSION OPTION...]: a session
# against a simulator (options: the array named SIMOPTS) with --fault FAULT
# exits 4 and says, in LANG, at which point it stopped and how to resume;
# the run holds every finished point. The faulty simulator is then replaced
# by a healthy one on the same port and the session resumed.
fault() {
    local name=$1 profile=$2 driver=$3 fault_kind=$5 lang=$6
    local -n simopts=$4
    shift 6
    start_sim "$name" "$driver" "${simopts[@]}" --fault "$fault_kind"
    mkdir "$tmp/runs-$name"
    set +e
    "$CALDAQ" session --profile "$profile" --port "$tmp/$name" --out "$tmp/runs-$name" \
        --standards "$tmp/reg.yaml" --batch --sim-control "$tmp/$name.ctl" --lang "$lang" "$@" \
        > "$tmp/$name.out" 2> "$tmp/$name.err"
    local rc=$?
    set -e
    [ "$rc" -eq 4 ] || { show "$tmp/$name.out"; show "$tmp/$name.err"; fail "$name: status $rc, not 4"; }
    local run point resume_cmd
    run=$(the_run "$tmp/runs-$name")
    # The line before "every finished point is saved" names the point.
    if [ "$lang" = vi ]; then
        saved="Mọi điểm đã đo xong được lưu trong $run."
        point=$(grep -B1 -xF "$saved" "$tmp/$name.out" | sed -n 1p | sed -n 's/.*điểm \([0-9][0-9]*\).*/\1/p')
        resume_cmd=$(grep -A1 "rồi tiếp tục bằng lệnh:$" "$tmp/$name.out" | tail -n 1 | sed 's/^ *//')
    else
        saved="Every finished point is saved in $run."
        point=$(grep -B1 -xF "$saved" "$tmp/$name.out" | sed -n 1p | sed -n 's/.*[Pp]oint \([0-9][0-9]*\).*/\1/p')
        resume_cmd=$(grep -A1 "then continue with:$" "$tmp/$name.out" | tail -n 1 | sed 's/^ *//')
    fi
    grep -qxF "$saved" "$tmp/$name.out" || { show "$tmp/$name.out"; fail "$name: does not say where the points are"; }
    [ -n "$point" ] || { show "$tmp/$name.out"; fail "$name: stdout does not say at which point"; }
    case "$resume_cmd" in
        "caldaq session --resume $run --port $tmp/$name" | "caldaq session --resume $run --port $tmp/$name "*) ;;
        *) show "$tmp/$name.out"; fail "$name: resume command '$resume_cmd'" ;;
    esac
    "$CALDAQ" verify "$run" > /dev/null || fail "$name: the aborted run does not verify"
    runcheck partial "$run" "$(plan "$profile")" "$point" "$tmp/$name.snap"
    stop_sim "$name"
    start_sim "$name" "$driver" "${simopts[@]}"
    "$CALDAQ" session --resume "$run" --port "$tmp/$name" --standards "$tmp/reg.yaml" --batch \
        --sim-control "$tmp/$name.ctl" "$@" --lang en > "$tmp/$name.resume.out" 2> "$tmp/$name.resume.err" \
        || { show "$tmp/$name.resume.out"; show "$tmp/$name.resume.err"; fail "$name: resume status $?"; }
    grep -qx "Resuming at point $point of [0-9]*" "$tmp/$name.resume.out" \
        || { show "$tmp/$name.resume.out"; fail "$name: not resumed at point $point"; }
    grep -q "^Results stored in the run as version 1$" "$tmp/$name.resume.out" || fail "$name: resumed, no results"
    "$CALDAQ" verify "$run" > /dev/null || fail "$name: the resumed run does not verify"
    "$CALDAQ" show "$run" > "$tmp/$name.show"
    grep -q "run resumed" "$tmp/$name.show" || { show "$tmp/$name.show"; fail "$name: no 'run resumed' in the audit log"; }
    grep -q "status     complete" "$tmp/$name.show" || fail "$name: caldaq show: not complete"
    runcheck resumed "$run" "$(plan "$profile")" "$tmp/$name.snap"
}
fault f-disc "$BAL" mtsics BAL_SIM disconnect=12 en
fault f-garb "$DMM" scpi DMM_SIM garbage=40 vi "${DMM_SES[@]}"
fault f-silent "$GAUGE" modbus GAUGE_SIM silent=30 en "${GAUGE_SES[@]}"

# --- the technician aborts ------------------------------------------------
# No --batch: the answers come from a file. Enter (reading 1 of 6 at 100 g),
# Enter (reading 2), then "a". (--env: no question about the conditions.)
start_sim ia mtsics --loads 100 --noise 0.0004 --resolution 0.001 --seed 3
mkdir "$tmp/runs-ia"
printf '\n\na\n' > "$tmp/answers"
set +e
"$CALDAQ" session --profile "$BAL" --port "$tmp/ia" --out "$tmp/runs-ia" --standards "$tmp/reg.yaml" \
    --env 21.5,50 --lang en < "$tmp/answers" > "$tmp/ia.out" 2> "$tmp/ia.err"
rc=$?
set -e
[ "$rc" -eq 3 ] || { show "$tmp/ia.out"; show "$tmp/ia.err"; fail "abort: status $rc, not 3"; }
run=$(the_run "$tmp/runs-ia")
grep -c "reading [0-9] of 6 (lift it off between readings) (s: skip this point · a: abort) — Enter when ready: " "$tmp/ia.out" \
    | grep -qx 3 || { show "$tmp/ia.out"; fail "abort: not three prompts"; }
grep -qxF "Session aborted. Every finished point is saved in $run." "$tmp/ia.out" \
    || { show "$tmp/ia.out"; fail "abort: message"; }
grep -A1 -xF "To continue later:" "$tmp/ia.out" > "$tmp/ia.resume"
grep -qF "  caldaq session --resume $run --port " "$tmp/ia.resume" \
    || { show "$tmp/ia.out"; fail "abort: no resume command"; }
runcheck partial "$run" "$(plan "$BAL")" 1 "$tmp/ia.snap"
"$PY" - "$tmp/ia.snap" <<'PY' || fail "abort: not two readings saved"
import json, sys
assert len(json.load(open(sys.argv[1]))) == 2
PY
"$CALDAQ" session --resume "$run" --port "$tmp/ia" --standards "$tmp/reg.yaml" --batch \
    --sim-control "$tmp/ia.ctl" --lang en > "$tmp/ia.resume.out" 2> "$tmp/ia.resume.err" \
    || { show "$tmp/ia.resume.out"; show "$tmp/ia.resume.err"; fail "abort: resume status $?"; }
grep -qx "Resuming at point 1 of 13" "$tmp/ia.resume.out" || { show "$tmp/ia.resume.out"; fail "abort: resumed where?"; }
"$CALDAQ" show "$run" > "$tmp/ia.show"
grep -q "run resumed" "$tmp/ia.show" || { show "$tmp/ia.show"; fail "abort: no 'run resumed' in the audit log"; }
"$CALDAQ" verify "$run" > /dev/null || fail "abort: the resumed run does not verify"
runcheck resumed "$run" "$(plan "$BAL")" "$tmp/ia.snap"

# --- keys the prompts do not know (issue 20) -------------------------------
# Point 1 is six readings at 100 g, each announced. Before reading 1 "x" is
# asked again (never taken for Enter), then Enter, and Enter for the other
# five; after the point "z" is asked again and "R" (Caps Lock) repeats it;
# six Enters again, then " A " aborts at the after-point prompt.
"$PY" -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"load 100\n"); s.recv(100)' "$tmp/ia.ctl"
mkdir "$tmp/runs-keys"
{ printf 'x\n'; printf '\n%.0s' 1 2 3 4 5 6; printf 'z\nR\n'; printf '\n%.0s' 1 2 3 4 5 6; printf ' A \n'; } > "$tmp/keys"
set +e
timeout 120 "$CALDAQ" session --profile "$BAL" --port "$tmp/ia" --out "$tmp/runs-keys" --standards "$tmp/reg.yaml" \
    --env 21.5,50 --lang en < "$tmp/keys" > "$tmp/keys.out" 2> "$tmp/keys.err"
rc=$?
set -e
[ "$rc" -eq 3 ] || { show "$tmp/keys.out"; show "$tmp/keys.err"; fail "keys: status $rc, not 3"; }
grep -qF "  'x' is not a key here: Enter when ready, s to skip this point, a to abort" "$tmp/keys.out" \
    || { show "$tmp/keys.out"; fail "keys: 'x' before the point not asked again"; }
grep -qF "  'z' is not a key here: Enter, r, n or a" "$tmp/keys.out" \
    || { show "$tmp/keys.out"; fail "keys: 'z' after the point not asked again"; }
grep -qF "  repeating this point; the earlier readings stay in the run" "$tmp/keys.out" \
    || { show "$tmp/keys.out"; fail "keys: R did not repeat the point"; }
grep -q "^\[2/13\] " "$tmp/keys.out" && { show "$tmp/keys.out"; fail "keys: went on to point 2"; }
grep -qxF "Session aborted. Every finished point is saved in $(the_run "$tmp/runs-keys")." "$tmp/keys.out" \
    || { show "$tmp/keys.out"; fail "keys: A did not abort"; }
echo "  prompts: unknown keys asked again before and after a point, R repeats, A aborts"

# --- the printed resume command, as printed -------------------------------
# A technician copies the command the failed session printed. It has to
# carry what the session needs (the driver, the register that was used):
# only the simulator's --batch --sim-control are added here.
start_sim pr sbi "${BAL_SIM[@]}" --fault disconnect=12
mkdir "$tmp/runs-pr"
set +e
"$CALDAQ" session --profile "$BAL" --driver sbi --port "$tmp/pr" --out "$tmp/runs-pr" \
    --standards "$tmp/reg.yaml" --batch --sim-control "$tmp/pr.ctl" --lang en > "$tmp/pr.out" 2>&1
rc=$?
set -e
[ "$rc" -eq 4 ] || { show "$tmp/pr.out"; fail "printed resume: status $rc, not 4"; }
run=$(the_run "$tmp/runs-pr")
point=$(grep -B1 -xF "Every finished point is saved in $run." "$tmp/pr.out" | sed -n 1p \
    | sed -n 's/.*[Pp]oint \([0-9][0-9]*\).*/\1/p')
"$PY" "$tmp/runcheck.py" partial "$run" "$(plan "$BAL")" "$point" "$tmp/pr.snap" > /dev/null \
    || fail "printed resume: the aborted run"
cmdline=$(grep -A1 "then continue with:$" "$tmp/pr.out" | tail -n 1 | sed 's/^ *//')
read -r -a words <<< "$cmdline"
[ "${words[0]:-}" = caldaq ] || { show "$tmp/pr.out"; fail "printed resume: '$cmdline'"; }
stop_sim pr
start_sim pr sbi "${BAL_SIM[@]}"
set +e
"$CALDAQ" "${words[@]:1}" --batch --sim-control "$tmp/pr.ctl" > "$tmp/pr.resume.out" 2>&1
rc=$?
set -e
[ "$rc" -eq 0 ] || { show "$tmp/pr.resume.out"; fail "the resume command printed by the session ('$cmdline') ends with status $rc"; }
runcheck resumed "$run" "$(plan "$BAL")" "$tmp/pr.snap"

# Ctrl-C while a reading settles (a balance that takes 2 minutes): the
# session stops at once with status 3, not after the 30 s stability wait.
start_sim slow mtsics --loads 0 --noise 0.0004 --resolution 0.001 --seed 3 --settle 120
mkdir -p "$tmp/runs-slow"
"$CALDAQ" session --profile "$BAL" --port "$tmp/slow" --out "$tmp/runs-slow" \
    --standards "$tmp/reg.yaml" --batch --sim-control "$tmp/slow.ctl" --lang en \
    > "$tmp/slow.out" 2>&1 &
slow=$!
sleep 1.5
kill -INT "$slow"
start=$(date +%s)
set +e
wait "$slow"
rc=$?
set -e
took=$(( $(date +%s) - start ))
[ "$rc" -eq 3 ] || { show "$tmp/slow.out"; fail "Ctrl-C while settling: status $rc, not 3"; }
[ "$took" -le 3 ] || fail "Ctrl-C while settling took ${took} s to stop the session"
grep -q "^Session aborted" "$tmp/slow.out" || { show "$tmp/slow.out"; fail "Ctrl-C: no abort message"; }
echo "  Ctrl-C while settling: status 3 within ${took} s"
echo "session.sh: ok"
