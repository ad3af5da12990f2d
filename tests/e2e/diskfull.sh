#!/usr/bin/env bash
# End to end: the disk that holds a run fills up mid-session. The run folder
# is a small tmpfs; once a few points are done a filler file takes all the
# space left, so the next snapshot (or journal line) cannot be written.
# `caldaq session` then ends with status 4 (not a crash: HDF5 once closed a
# half-closed file again at exit, status 139), says the disk is full and that
# the instrument is not at fault, and prints the resume command; the earlier
# snapshot is intact (it opens with h5py, verifies, says in-progress, every
# point in it whole) and no RUN.h5.tmp is left. With the filler gone the
# printed resume completes the run. `caldaq acquire` ends with status 1 and
# the same message, its run intact.
#
# Mounting a tmpfs needs root (or a user namespace that allows it). Under
# CI (CI=true) a machine that cannot mount fails the test; elsewhere it is
# skipped, saying why.
source "$(dirname "$0")/common.bash"
show() { echo "--- $1" >&2; cat "$1" >&2; }
disk="$tmp/disk"
mkdir "$disk"
trap 'umount "$disk" 2>/dev/null || true; cleanup' EXIT
if ! mount -t tmpfs -o size=2m tmpfs "$disk" 2> "$tmp/mount.err"; then
    why="cannot mount a tmpfs to fill ($(head -c 200 "$tmp/mount.err")): run as root"
    [ "${CI:-}" = true ] && fail "$why (CI=true: not skipped)"
    echo "diskfull.sh: skipped: $why"
    exit 0
fi

sed -e 's/due: 20[0-9][0-9]-/due: 2099-/' tests/fixtures/standards/example-lab-fixed-dates.yaml > "$tmp/reg.yaml"
BAL=profiles/balance-cg18-class-ii.yaml
# 0.2 s to settle at every load: the session takes a few seconds, time to
# fill the disk while it runs.
"$CALDAQ" sim mtsics --port-link "$tmp/bal" --control "$tmp/ctl" --advance 0 --settle 0.2 \
    --loads 0 --noise 0.0004 --resolution 0.001 --seed 3 </dev/null >"$tmp/sim.out" 2>&1 &
pids+=($!)
wait_for "$tmp/bal"
wait_for "$tmp/ctl"

# wait_line FILE PATTERN PID: until FILE has a line matching PATTERN (grep
# -E), at most 20 s; fails if the process PID ended first.
wait_line() {
    for _ in $(seq 400); do
        grep -qE "$2" "$1" 2>/dev/null && return 0
        kill -0 "$3" 2>/dev/null || { show "$1"; fail "ended before '$2'"; }
        sleep 0.05
    done
    show "$1"
    fail "no '$2' within 20 s"
}
# Take all the tmpfs has left (dd stops at ENOSPC) but 32 KiB: a snapshot
# can begin, and fails part way (in HDF5's hands that was the crash).
fill() {
    dd if=/dev/zero of="$disk/filler" bs=4k 2>/dev/null || true
    truncate -s -32K "$disk/filler"
}
no_space="no space left on the device that holds the run (folder $disk)"

# --- caldaq session ---------------------------------------------------------
# (the batch lines come as the points do; timeout: every wait below has a
# bound)
timeout 120 "$CALDAQ" session --profile "$BAL" --port "$tmp/bal" --out "$disk" --standards "$tmp/reg.yaml" \
    --batch --sim-control "$tmp/ctl" --lang en > "$tmp/s.out" 2> "$tmp/s.err" &
victim=$!
wait_line "$tmp/s.out" '^\[4/13\] ' "$victim"
fill
set +e
wait "$victim"
rc=$?
set -e
[ "$rc" -eq 4 ] || { show "$tmp/s.out"; show "$tmp/s.err"; fail "session on a full disk: status $rc, not 4"; }
run=$(ls "$disk"/*.h5)
grep -qF "$no_space" "$tmp/s.err" || { show "$tmp/s.err"; fail "session: no word of the full disk on stderr"; }
grep -qF "$no_space" "$tmp/s.out" || { show "$tmp/s.out"; fail "session: no word of the full disk"; }
grep -qxF "Every finished point is saved in $run." "$tmp/s.out" || { show "$tmp/s.out"; fail "session: where the points are"; }
grep -q "The instrument is not at fault: make room on the disk" "$tmp/s.out" || { show "$tmp/s.out"; fail "session: advice"; }
! grep -q "cable" "$tmp/s.out" || { show "$tmp/s.out"; fail "session: a full disk blamed on the cable"; }
resume_cmd=$(grep -A1 "then continue with:$" "$tmp/s.out" | tail -n 1 | sed 's/^ *//')
case "$resume_cmd" in
    "caldaq session --resume $run --port $tmp/bal "*) ;;
    *) show "$tmp/s.out"; fail "session: resume command '$resume_cmd'" ;;
esac
[ ! -e "$run.tmp" ] || fail "session: $run.tmp left on the full disk"
"$CALDAQ" verify "$run" > /dev/null || fail "session: the run on the full disk does not verify"
"$PY" - "$run" <<'PY' || fail "session: the snapshot on the full disk"
import collections, sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    status = f.attrs["status"]
    status = status.decode() if isinstance(status, bytes) else str(status)
    assert status == "in-progress", status
    n = collections.Counter(int(r["point"]) for r in f["readings"][...] if r["status"] == b"stable")
    assert n[0] == 6, n           # the repeatability point, done before the disk filled
    assert sorted(n) == list(range(len(n))), n
print(f"  session: status 4 on the full disk; the snapshot holds points 1-{len(n)}, in-progress, intact")
PY

# Room again: the printed command (with the simulator's --batch options)
# completes the run.
rm "$disk/filler"
read -r -a words <<< "$resume_cmd"
timeout 120 "$CALDAQ" "${words[@]:1}" --batch --sim-control "$tmp/ctl" --lang en > "$tmp/r.out" 2>&1 \
    || { show "$tmp/r.out"; fail "resume after the disk was freed: status $?"; }
grep -q "^Results stored in the run as version 1$" "$tmp/r.out" || { show "$tmp/r.out"; fail "resumed: no results"; }
"$CALDAQ" verify "$run" > /dev/null || fail "resumed: the run does not verify"
"$PY" - "$run" <<'PY' || fail "resumed: the run"
import collections, sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    status = f.attrs["status"]
    assert (status.decode() if isinstance(status, bytes) else str(status)) == "complete"
    n = collections.Counter(int(r["point"]) for r in f["readings"][...] if r["status"] == b"stable")
    assert sorted(n) == list(range(13)), n
print("  session: resumed once the disk had room; complete, 13 points")
PY
rm -f "$disk"/*

# --- caldaq acquire ---------------------------------------------------------
timeout 120 "$CALDAQ" acquire --driver mtsics --port "$tmp/bal" --points 0,50,100,150,200,250,300,350 \
    --repeat 3 --stable --sim-control "$tmp/ctl" --out "$disk" > "$tmp/a.out" 2> "$tmp/a.err" &
victim=$!
wait_line "$tmp/a.out" '^point 1 ' "$victim"
fill
set +e
wait "$victim"
rc=$?
set -e
[ "$rc" -eq 1 ] || { show "$tmp/a.out"; show "$tmp/a.err"; fail "acquire on a full disk: status $rc, not 1"; }
grep -qF "$no_space" "$tmp/a.err" || { show "$tmp/a.err"; fail "acquire: no word of the full disk"; }
[ "$(grep -c . "$tmp/a.err")" -eq 1 ] || { show "$tmp/a.err"; fail "acquire: the message more than once"; }
run=$(ls "$disk"/*.h5)
grep -qxF "$run (in-progress)" "$tmp/a.out" || { show "$tmp/a.out"; fail "acquire: what the run says"; }
[ ! -e "$run.tmp" ] || fail "acquire: $run.tmp left on the full disk"
"$CALDAQ" verify "$run" > /dev/null || fail "acquire: the run on the full disk does not verify"
echo "  acquire: status 1 on the full disk, one message, the run intact and in-progress"
echo "diskfull.sh: ok"
