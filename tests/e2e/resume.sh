#!/usr/bin/env bash
# End to end: sessions killed early, resumed, certified; and resumes that
# are refused.
#
# Killed in point 1: an interactive session takes 2 of the 6 readings of
# point 1 and is killed with SIGKILL. Its run file already holds what a
# certificate needs (the reference standards with their certified values,
# the instrument's identity, the profile); resumed, it completes and
# `caldaq cert` issues its certificate. A run made by caldaq before that was
# so (tests/fixtures/runs/killed-in-point-1.h5, killed the same way: only the
# profile in the file) is repaired by the resume, standards from the
# register and device from the instrument, and is certified too.
#
# Refused resumes leave the run's files byte for byte as they were (RUN.h5,
# RUN.h5.journal, RUN.h5.trace: sha256 before and after) and add none: a
# run whose stored profile is not a calibration's (caldaq acquire's), a
# standard past its due date, a complete run, a run a live session is
# writing, an instrument that is not there, an old run without standards
# and no register to take them from.
source "$(dirname "$0")/common.bash"
show() { echo "--- $1" >&2; cat "$1" >&2; }

sed -e 's/due: 20[0-9][0-9]-/due: 2099-/' tests/fixtures/standards/example-lab-fixed-dates.yaml > "$tmp/reg.yaml"
BAL=profiles/balance-cg18-class-ii.yaml
"$CALDAQ" cert --keygen "$tmp/lab.key" > /dev/null
sed -e "s|^signing_key: .*|signing_key: $tmp/lab.key|" examples/lab-example.yaml > "$tmp/lab.yaml"

# The balance presents 100 g by itself (interactive sessions) and any load
# asked on its control socket (batch resumes).
"$CALDAQ" sim mtsics --port-link "$tmp/bal" --control "$tmp/ctl" --advance 0 --settle 0 \
    --loads 100 --noise 0.0004 --resolution 0.001 --seed 3 </dev/null >"$tmp/sim.out" 2>&1 &
pids+=($!)
wait_for "$tmp/bal"
wait_for "$tmp/ctl"

# journal_readings DIR: reading lines in the journal of the run in DIR.
journal_readings() { cat "$1"/*.h5.journal 2>/dev/null | grep -c '^[0-9]' || true; }

# live_in_point_1 DIR: an interactive session writing a run in DIR, with 2
# of the 6 readings of point 1 taken, waiting for Enter; its pid in $live.
live_in_point_1() {
    local dir=$1
    mkdir -p "$dir"
    rm -f "$tmp/in"
    mkfifo "$tmp/in"
    exec 3<>"$tmp/in"      # read-write: opening never blocks
    "$CALDAQ" session --profile "$BAL" --port "$tmp/bal" --out "$dir" --standards "$tmp/reg.yaml" \
        --env 21.5,50 --lang en --operator "Kill Test" < "$tmp/in" > "$dir.out" 2>&1 &
    live=$!                 # killed by the test (no timeout in between: kill -9 must reach it)
    pids+=($live)
    printf '\n\n' >&3
    for _ in $(seq 200); do
        [ "$(journal_readings "$dir")" -ge 2 ] && return 0
        kill -0 "$live" 2>/dev/null || { show "$dir.out"; fail "the session in $dir ended"; }
        sleep 0.05
    done
    show "$dir.out"
    fail "no 2 readings journalled in $dir within 10 s"
}
# killed_in_point_1 DIR: the same, killed with SIGKILL; the run in $run.
killed_in_point_1() {
    live_in_point_1 "$1"
    kill -9 "$live"
    wait "$live" 2>/dev/null || true
    exec 3>&-
    run=$(ls "$1"/*.h5)
}
resume_batch() { # RUN [OPTION...]: resume it in batch mode against the simulator
    local r=$1
    shift
    timeout 120 "$CALDAQ" session --resume "$r" --port "$tmp/bal" --batch --sim-control "$tmp/ctl" \
        --lang en "$@"
}
certify() { # RUN NAME: a certificate for the run
    timeout 120 "$CALDAQ" cert "$1" --out "$tmp/cert-$2" --lab "$tmp/lab.yaml" --format json \
        --customer "Công ty TNHH Cân Việt" --received "$(date +%F)" --issued "$(date +%F)" \
        > "$tmp/cert-$2.out" 2>&1 || { show "$tmp/cert-$2.out"; fail "$2: caldaq cert: status $?"; }
    local n
    n=$(ls "$tmp/cert-$2"/*.json | grep -vc manifest || true)
    [ "$n" -eq 1 ] || fail "$2: no certificate JSON"
}

# --- killed in point 1, resumed, certified ---------------------------------
killed_in_point_1 "$tmp/k1"
"$PY" - "$run" <<'PY' || fail "the run killed in point 1 lacks what a certificate needs"
import math, sys, h5py
def s(x):
    return x.decode() if isinstance(x, bytes) else str(x)
with h5py.File(sys.argv[1], "r") as f:
    assert s(f.attrs["status"]) == "in-progress"
    assert len(f["readings"]) == 0, len(f["readings"])    # point 1 was not finished
    st = f["standards"][...]
    weights = [r for r in st if s(r["role"]) == "weights" and math.isfinite(r["nominal"])]
    assert weights, "no certified values of the 'weights' standard in the first snapshot"
    assert all(s(r["id"]) == "W-E2-01" and r["u"] > 0 for r in weights), weights
    dev = {k: s(v) for k, v in f["device"].attrs.items()}
    assert dev["driver"] == "mtsics" and dev["manufacturer"] == "Mettler Toledo" and dev["serial"], dev
    assert "profile" in f and len(f["profile"]["text"][()]) > 0
print(f"  killed in point 1: the first snapshot holds {len(weights)} certified weights, "
      f"{dev['manufacturer']} {dev['model']} serial {dev['serial']}, the profile")
PY
resume_batch "$run" --standards "$tmp/reg.yaml" > "$tmp/k1.resume" 2>&1 \
    || { show "$tmp/k1.resume"; fail "killed in point 1: resume status $?"; }
grep -qx "Resuming at point 1 of 13" "$tmp/k1.resume" || { show "$tmp/k1.resume"; fail "killed in point 1: resumed where?"; }
"$CALDAQ" verify "$run" > /dev/null || fail "killed in point 1: the resumed run does not verify"
certify "$run" k1
echo "  killed in point 1: resumed to complete, certificate issued"

# --- a run of the old caldaq, killed in point 1: repaired by the resume ------
# tests/fixtures/runs/killed-in-point-1.h5 (+ .journal, .trace): made by
# caldaq before the first snapshot held the standards and the device, a
# class II session killed with SIGKILL after 2 readings of point 1. Its
# snapshot holds the profile only.
old() { # DIR: a copy of the fixture in DIR, its path in $run
    mkdir -p "$1"
    cp tests/fixtures/runs/killed-in-point-1.h5* "$1"/
    run="$1/killed-in-point-1.h5"
}
old "$tmp/old"
resume_batch "$run" --standards "$tmp/reg.yaml" > "$tmp/old.resume" 2>&1 \
    || { show "$tmp/old.resume"; fail "old run: resume status $?"; }
"$CALDAQ" show "$run" > "$tmp/old.show"
grep -q "reference standards recorded at the resume from $tmp/reg.yaml (the run lacked them" "$tmp/old.show" \
    || { show "$tmp/old.show"; fail "old run: the standards' repair is not in the audit log"; }
grep -q "recorded as the run's device, which the run lacked" "$tmp/old.show" \
    || { show "$tmp/old.show"; fail "old run: the device's repair is not in the audit log"; }
grep -q "run resumed by caldaq (2 readings recovered from the journal" "$tmp/old.show" \
    || { show "$tmp/old.show"; fail "old run: the journal's readings"; }
"$CALDAQ" verify "$run" > /dev/null || fail "old run: the resumed run does not verify"
certify "$run" old
echo "  old run killed in point 1: standards and device recorded at the resume, certificate issued"

# --- refused resumes leave the files as they were ----------------------------
# refused NAME STATUS SAYS RUN [OPTION...]: `caldaq session --resume RUN`
# ends with STATUS, says SAYS, and the files in RUN's folder are the same
# files with the same bytes.
sums() { [ -f "$1" ] || fail "no run $1"; (cd "$(dirname "$1")" && sha256sum -- *); }
refused() {
    local name=$1 want=$2 says=$3 r=$4
    shift 4
    local before after
    before=$(sums "$r")
    set +e
    resume_batch "$r" "$@" > "$tmp/$name.out" 2> "$tmp/$name.err"
    local rc=$?
    set -e
    [ "$rc" -eq "$want" ] || { show "$tmp/$name.out"; show "$tmp/$name.err"; fail "$name: status $rc, not $want"; }
    grep -qF "$says" "$tmp/$name.err" || { show "$tmp/$name.err"; fail "$name: does not say '$says'"; }
    after=$(sums "$r")
    [ "$after" = "$before" ] || { diff <(echo "$before") <(echo "$after") >&2; fail "$name: the refused resume changed the run's files"; }
    echo "  refused ($name): status $rc, files unchanged ($(echo "$before" | wc -l) files)"
}

# caldaq acquire's run, killed: its stored plan is not a calibration profile.
mkdir "$tmp/acq"
"$CALDAQ" acquire --driver mtsics --port "$tmp/bal" --points 0,50,100 --repeat 200 \
    --sim-control "$tmp/ctl" --out "$tmp/acq" > "$tmp/acq.out" 2>&1 &
victim=$!
for _ in $(seq 200); do grep -q '^point 0 ' "$tmp/acq.out" && break; sleep 0.05; done
grep -q '^point 0 ' "$tmp/acq.out" || { kill -9 "$victim"; show "$tmp/acq.out"; fail "acquire: no point saved in 10 s"; }
kill -9 "$victim"
wait "$victim" 2>/dev/null || true
refused acquire-run 1 ".h5:/profile/text:2: profile: unknown key" "$(ls "$tmp"/acq/*.h5)" --standards "$tmp/reg.yaml"

killed_in_point_1 "$tmp/k2"
refused expired 1 "W-E2-01 (certificate VD-KL-2025-0412) was due for calibration on 2026-03-10" \
    "$run" --standards tests/fixtures/standards/example-lab-fixed-dates.yaml
refused no-instrument 4 "$tmp/no-such-port" "$run" --standards "$tmp/reg.yaml" --port "$tmp/no-such-port"
mkdir "$tmp/done"
timeout 120 "$CALDAQ" session --profile "$BAL" --port "$tmp/bal" --out "$tmp/done" --standards "$tmp/reg.yaml" \
    --batch --sim-control "$tmp/ctl" > "$tmp/done.out" 2>&1 || { show "$tmp/done.out"; fail "a complete run: status $?"; }
refused complete 1 "the run is complete; nothing to resume" "$(ls "$tmp"/done/*.h5)" --standards "$tmp/reg.yaml"

live_in_point_1 "$tmp/live"
refused live 1 "a session is still writing this run" "$(ls "$tmp"/live/*.h5)" --standards "$tmp/reg.yaml"
kill -9 "$live"
wait "$live" 2>/dev/null || true
exec 3>&-

old "$tmp/old2"
refused old-no-register 1 "give the register that was used with --standards" "$run"

echo "resume.sh: ok"
