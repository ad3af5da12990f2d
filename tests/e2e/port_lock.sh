#!/usr/bin/env bash
# End to end: one port, one caldaq at a time (issue 14, section 3: two
# sessions on one port took each other's replies). On a simulated MT-SICS
# balance: a second `caldaq read` (and a Modbus one) on a port that a first
# has open exits non-zero naming the holder, and the first reads on
# unaffected; the lock file is gone when the first ends; a lock left by a
# process killed with SIGKILL, or naming a live process that does not have
# the port open, is taken over; a fresh lock of a live process is not.
# A `caldaq session` on the held port is refused the same way.
# Lock files: FHS 3.0, 5.9 (/run/lock/LCK..NAME, the PID as ten ASCII
# characters and a newline). Every wait is bounded. Needs CALDAQ.
set -euo pipefail
: "${CALDAQ:?path of the caldaq binary}"
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
pids=()
cleanup() {
    { for p in "${pids[@]}"; do kill -9 "$p" || true; done; wait || true; } 2>/dev/null
    rm -rf "$tmp"
    [ -z "${lock:-}" ] || rm -f "$lock"
}
trap cleanup EXIT
fail() {
    echo "port_lock.sh: FAIL: $*" >&2
    for f in "$tmp"/*.err; do [ -s "$f" ] && sed "s|^|  $(basename "$f"): |" "$f" >&2; done
    exit 1
}

lockdir=/run/lock
[ -d "$lockdir" ] || lockdir=/var/lock
if [ ! -d "$lockdir" ] || [ ! -w "$lockdir" ]; then
    # Without a lock folder caldaq cannot lock (it then relies on TIOCEXCL,
    # which root ignores): nothing to test here.
    [ "${CI:-}" = true ] && fail "no writable /run/lock or /var/lock"
    echo "port_lock.sh: skipped: no writable /run/lock or /var/lock"
    exit 0
fi

# Wait up to 5 s for a condition.
wait_until() {
    for _ in $(seq 100); do "$@" && return 0; sleep 0.05; done
    return 1
}
# Wait up to 20 s for background process $1 to end; its status in $status.
wait_end() {
    for _ in $(seq 400); do kill -0 "$1" 2>/dev/null || break; sleep 0.05; done
    kill -0 "$1" 2>/dev/null && fail "process $1 still running after 20 s"
    status=0
    { wait "$1" || status=$?; } 2>/dev/null
}

"$CALDAQ" sim mtsics --port-link "$tmp/bal" --loads 100 --noise 0 --settle 0 \
    </dev/null >/dev/null 2>"$tmp/sim.err" &
pids+=($!)
wait_until test -e "$tmp/bal" || fail "no simulator at $tmp/bal"
dev=$(readlink -f "$tmp/bal")
lock="$lockdir/LCK..$(echo "${dev#/dev/}" | tr / _)"
rm -f "$lock"

# ---------------------------------------------------------------- two readers
# The first reads 40 times, 0.1 s apart: about 4 s with the port open.
"$CALDAQ" read --driver mtsics --port "$tmp/bal" --count 40 --interval-ms 100 \
    >"$tmp/first.out" 2>"$tmp/first.err" &
first=$!
pids+=("$first")
wait_until test -s "$lock" || fail "no lock file $lock while the first reader runs"
[ "$(cat "$lock")" = "$(printf '%10d' "$first")" ] ||
    fail "lock file holds '$(cat "$lock")', not the first reader's PID $first in HDB format"

rc=0
"$CALDAQ" read --driver mtsics --port "$tmp/bal" >"$tmp/second.out" 2>"$tmp/second.err" || rc=$?
[ "$rc" -ne 0 ] || fail "a second reader opened the port the first has open"
grep -q "is in use by caldaq read (pid $first)" "$tmp/second.err" ||
    fail "the second reader does not name the holder: $(cat "$tmp/second.err")"
echo "  second reader refused: $(cat "$tmp/second.err")"

# A Modbus reader on the same port is refused the same way.
rc=0
"$CALDAQ" read --driver modbus --port "$tmp/bal" --preset generic \
    >"$tmp/modbus.out" 2>"$tmp/modbus.err" || rc=$?
[ "$rc" -ne 0 ] && grep -q "is in use by caldaq read (pid $first)" "$tmp/modbus.err" ||
    fail "a Modbus reader on the same port was not refused with the holder named"

# So is a calibration session, before it makes a run file.
sed -e 's/due: 20[0-9][0-9]-/due: 2099-/' "$root/tests/fixtures/standards/example-lab-fixed-dates.yaml" >"$tmp/reg.yaml"
mkdir "$tmp/runs"
rc=0
timeout 30 "$CALDAQ" session --profile "$root/profiles/balance-cg18-class-ii.yaml" --port "$tmp/bal" \
    --out "$tmp/runs" --standards "$tmp/reg.yaml" --batch --lang en \
    >"$tmp/session.out" 2>"$tmp/session.err" || rc=$?
[ "$rc" -ne 0 ] && grep -q "is in use by caldaq read (pid $first)" "$tmp/session.err" ||
    fail "a session on the same port was not refused with the holder named (exit $rc)"
[ -z "$(ls "$tmp/runs")" ] || fail "the refused session left a run file"

wait_end "$first"
[ "$status" -eq 0 ] || fail "the first reader failed (exit $status)"
[ "$(grep -c '^stable ' "$tmp/first.out")" -eq 40 ] ||
    fail "the first reader did not get its 40 stable readings: $(cat "$tmp/first.out")"
[ ! -e "$lock" ] || fail "the lock file is left after the first reader ended"
echo "  first reader unaffected: 40 stable readings, lock removed at the end"

# ---------------------------------------------------------------- stale locks
# A holder killed with SIGKILL leaves its lock: the next reader takes it over.
"$CALDAQ" read --driver mtsics --port "$tmp/bal" --count 100 --interval-ms 100 \
    >/dev/null 2>"$tmp/killed.err" &
killed=$!
pids+=("$killed")
wait_until test -s "$lock" || fail "no lock file from the reader to be killed"
kill -9 "$killed"
wait_end "$killed"
[ -e "$lock" ] || fail "SIGKILL removed the lock (nothing to test)"
"$CALDAQ" read --driver mtsics --port "$tmp/bal" >"$tmp/after-kill.out" 2>"$tmp/after-kill.err" ||
    fail "the lock of a killed reader was not taken over"
[ ! -e "$lock" ] || fail "lock left after the reader that took it over ended"
echo "  the lock of a reader killed with SIGKILL was taken over"

# A lock naming a live process that does not have the port open (its PID
# reused after a crash), older than a few seconds: taken over.
sleep 30 &
sleeper=$!
pids+=("$sleeper")
printf '%10d\n' "$sleeper" >"$lock"
touch -d '1 minute ago' "$lock"
"$CALDAQ" read --driver mtsics --port "$tmp/bal" >"$tmp/reused.out" 2>"$tmp/reused.err" ||
    fail "a lock naming a process without the port was not taken over"
echo "  a lock of a reused PID was taken over"

# The same lock, fresh (a program that has just locked and not yet opened
# the port): respected, and the holder named.
printf '%10d\n' "$sleeper" >"$lock"
rc=0
"$CALDAQ" read --driver mtsics --port "$tmp/bal" >"$tmp/fresh.out" 2>"$tmp/fresh.err" || rc=$?
[ "$rc" -ne 0 ] && grep -q "is in use by sleep (pid $sleeper)" "$tmp/fresh.err" ||
    fail "a fresh lock of a live process was not respected: $(cat "$tmp/fresh.err")"
rm -f "$lock"
echo "port_lock.sh: ok"
