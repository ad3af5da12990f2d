#!/usr/bin/env bash
# End to end: resumes that are refused.
#
# Refused resumes leave the run's files byte for byte as they were (RUN.h5,
# RUN.h5.journal, RUN.h5.trace: sha256 before and after) and add none: a
# run whose stored profile is not a calibration's (caldaq acquire's), a
# standard past its due date, a complete run, a run a live session is
# writing, an instrument that is not there.
source "$(dirname "$0")/common.bash"
show() { echo "--- $1" >&2; cat "$1" >&2; }

sed -e 's/due: 20[0-9][0-9]-/due: 2099-/' profiles/standards/example-lab.yaml > "$tmp/reg.yaml"
BAL=profiles/balance-cg18-class-ii.yaml

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
    live=$!
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
    "$CALDAQ" session --resume "$r" --port "$tmp/bal" --batch --sim-control "$tmp/ctl" --lang en "$@"
}
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
    "$run" --standards profiles/standards/example-lab.yaml
refused no-instrument 4 "$tmp/no-such-port" "$run" --standards "$tmp/reg.yaml" --port "$tmp/no-such-port"
mkdir "$tmp/done"
"$CALDAQ" session --profile "$BAL" --port "$tmp/bal" --out "$tmp/done" --standards "$tmp/reg.yaml" \
    --batch --sim-control "$tmp/ctl" > "$tmp/done.out" 2>&1 || { show "$tmp/done.out"; fail "a complete run: status $?"; }
refused complete 1 "the run is complete; nothing to resume" "$(ls "$tmp"/done/*.h5)" --standards "$tmp/reg.yaml"

live_in_point_1 "$tmp/live"
refused live 1 "a session is still writing this run" "$(ls "$tmp"/live/*.h5)" --standards "$tmp/reg.yaml"
kill -9 "$live"
wait "$live" 2>/dev/null || true
exec 3>&-

echo "resume.sh: ok"
