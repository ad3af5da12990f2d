#!/usr/bin/env bash
# End to end, the continuous-output indicators (toledo-cont, xk3190):
#   - the fixtures of tests/fixtures/{toledo-cont,xk3190}/ decoded by
#     `caldaq decode`, and a stream with noise and a checksum error decoded
#     frame by frame with the noise reported;
#   - readings through a pty from `caldaq sim` (10 Hz), recorded; the trace
#     (ended by the simulator's disconnect) played back through a pty and
#     recorded again: byte-identical from the first byte (what the replay
#     streamed before the host opened its port is read and recorded by the
#     open, not lost), also for a recording that begins inside a frame;
#   - faults: garbage and truncated frames are skipped (readings continue),
#     checksum errors on every frame, silence and a disconnect give clear
#     errors, and every byte received stays in the trace.
source "$(dirname "$0")/common.bash"

# --- fixtures through caldaq decode
for drv in toledo-cont xk3190; do
    n=0
    for f in tests/fixtures/$drv/*.bytes; do
        exp=${f%.bytes}.expect
        got=$("$CALDAQ" decode --driver "$drv" --json < "$f" 2>/dev/null || true)
        "$PY" - "$exp" "$got" "$f" <<'PY'
import json, sys
exp = json.load(open(sys.argv[1]))
got = json.loads(sys.argv[2].splitlines()[0])
if "status" not in exp:
    # refused: as a bad frame (the message), or as bytes that begin no frame
    e = got.get("error", "")
    if exp["error"] not in e and "begin no frame" not in e:
        sys.exit(f"{sys.argv[3]}: {got} lacks {exp['error']!r}")
else:
    for k in ("value", "unit", "status", "display"):
        if got.get(k) != exp[k]:
            sys.exit(f"{sys.argv[3]}: {k} {got.get(k)!r}, expected {exp[k]!r}")
PY
        n=$((n + 1))
    done
    echo "  $drv: $n fixtures decoded"
done

# A stream: a frame, noise, a frame with a bad checksum, a frame.
"$PY" - "$tmp/stream.bin" <<'PY'
import sys
b = bytes([2, 0x3B, 0x30, 0x20]) + b"001234000000\r"
c = (-sum(b)) & 0x7F
open(sys.argv[1], "wb").write(b + bytes([c]) + b"\xff\x00" + b + bytes([c ^ 1]) + b + bytes([c]))
PY
set +e
"$CALDAQ" decode --driver toledo-cont --json < "$tmp/stream.bin" > "$tmp/stream.out" 2> "$tmp/stream.err"
rc=$?
set -e
[ "$rc" -eq 1 ]
[ "$(grep -c '"display":"123.4"' "$tmp/stream.out")" -eq 2 ]
grep -q '"error":"toledo-cont: 2 bytes that begin no frame skipped","offset":18' "$tmp/stream.out"
grep -q 'checksum error: 0x1D sent, 0x1C computed' "$tmp/stream.out"

# Same records (direction + bytes) in two traces, times ignored.
same_exchanges() {
    "$PY" - "$1" "$2" <<'PY'
import sys
def records(path):
    return [l.rstrip("\n").split(" ", 2)[1:] for l in open(path, encoding="ascii")
            if not l.startswith("#") and l.strip()]
a, b = records(sys.argv[1]), records(sys.argv[2])
# Every byte is recorded, from the first (those waiting when the port was
# opened, a frame's tail before the first full frame, are read and recorded
# by the open, not lost), and the replay keeps its pty's slave open, so what
# it streamed before the host opened waits there: the replayed recording
# is the original, record for record, from the first byte to the disconnect.
if a != b:
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            sys.exit(f"record {i + 1} differs: {x} vs {y}")
    sys.exit(f"traces differ: {len(a)} vs {len(b)} records")
if len(b) < 5:
    sys.exit(f"only {len(b)} records")
print(f"  {len(b)} records byte-identical from the first byte")
PY
}

# --- record / replay: the simulator disconnects after 15 frames, so the
# trace ends with the disconnect and the replay can be read to its end.
record_replay() {  # DRIVER [sim --set ...]
    local drv=$1; shift
    "$CALDAQ" sim "$drv" --port-link "$tmp/$drv.sim" --seed 3 --settle 0 --fault disconnect=15 "$@" \
        </dev/null >/dev/null 2>&1 &
    pids+=($!)
    wait_for "$tmp/$drv.sim"
    set +e
    "$CALDAQ" read --driver "$drv" --port "$tmp/$drv.sim" --count 100 --json \
        --record "$tmp/$drv.trace" > "$tmp/$drv.out1" 2> "$tmp/$drv.err1"
    rc=$?
    set -e
    [ "$rc" -ne 0 ] || { echo "$drv: no error at the disconnect" >&2; exit 1; }
    grep -qi 'disconnect\|closed' "$tmp/$drv.err1" || { cat "$tmp/$drv.err1" >&2; exit 1; }
    grep -q '! disconnect' "$tmp/$drv.trace"
    [ "$(grep -c '"status":"stable"' "$tmp/$drv.out1")" -ge 1 ]
    "$CALDAQ" sim --trace "$tmp/$drv.trace" --port-link "$tmp/$drv.replay" \
        > /dev/null 2> "$tmp/$drv.replay.err" &
    local replay=$!
    wait_for "$tmp/$drv.replay"
    set +e
    "$CALDAQ" read --driver "$drv" --port "$tmp/$drv.replay" --count 100 --json \
        --record "$tmp/$drv.again" > "$tmp/$drv.out2" 2> "$tmp/$drv.err2"
    set -e
    wait "$replay" || { cat "$tmp/$drv.replay.err" >&2; exit 1; }
    echo "$drv:"
    same_exchanges "$tmp/$drv.trace" "$tmp/$drv.again"
}
record_replay toledo-cont
record_replay xk3190
record_replay xk3190 --set xk_format=wg

# --- a recording that begins inside a frame (a real port opened while the
# indicator was sending): the tail before the first full frame, and a noise
# byte, are recorded, replayed and recorded again, byte for byte.
mid_frame() {  # DRIVER: $tmp/DRIVER.trace with its first 5 bytes cut away
    local drv=$1
    "$PY" - "$tmp/$drv.trace" "$tmp/$drv.mid" <<'PY'
import sys
lines = open(sys.argv[1], encoding="ascii").read().splitlines(True)
head = [l for l in lines if l.startswith("#")]
recs = [l for l in lines if not l.startswith("#") and l.strip()]
t, d, payload = recs[0].rstrip("\n").split(" ", 2)
assert d == "<", recs[0]
# the frame's tail: its first 5 bytes cut away (escapes kept whole)
body = payload[1:-1]
i = 0
for _ in range(5):
    i += 4 if body[i] == "\\" and body[i + 1] == "x" else 2 if body[i] == "\\" else 1
tail = body[i:]
open(sys.argv[2], "w", encoding="ascii").writelines(
    head + [f'{t} < "\\xFF{tail}"\n'] + recs[1:])
PY
    "$CALDAQ" sim --trace "$tmp/$drv.mid" --port-link "$tmp/$drv.midpty" > /dev/null 2> "$tmp/$drv.mid.err" &
    local replay=$!
    wait_for "$tmp/$drv.midpty"
    set +e
    "$CALDAQ" read --driver "$drv" --port "$tmp/$drv.midpty" --count 100 --json \
        --record "$tmp/$drv.midagain" > "$tmp/$drv.mid.out" 2> "$tmp/$drv.mid.err2"
    set -e
    wait "$replay" || { cat "$tmp/$drv.mid.err" >&2; exit 1; }
    grep -q '"status":"stable"' "$tmp/$drv.mid.out" || { cat "$tmp/$drv.mid.err2" >&2; exit 1; }
    echo "$drv, begun inside a frame:"
    same_exchanges "$tmp/$drv.mid" "$tmp/$drv.midagain"
    grep -v '^#' "$tmp/$drv.midagain" | head -n 1 | grep -q '< "\\xFF' \
        || { echo "$drv: the tail before the first full frame was not recorded first" >&2; exit 1; }
}
mid_frame toledo-cont
mid_frame xk3190

# --- faults
fault() {  # NAME DRIVER WANT_RC PATTERN sim-args...
    local name=$1 drv=$2 want=$3 pat=$4; shift 4
    "$CALDAQ" sim "$drv" --port-link "$tmp/$name.sim" --seed 5 --settle 0 "$@" \
        </dev/null >/dev/null 2>&1 &
    local sim=$!
    pids+=($sim)
    wait_for "$tmp/$name.sim"
    set +e
    "$CALDAQ" read --driver "$drv" --port "$tmp/$name.sim" --count 10 --json \
        --set timeout_ms=600 --record "$tmp/$name.trace" > "$tmp/$name.out" 2> "$tmp/$name.err"
    local rc=$?
    set -e
    kill "$sim" 2>/dev/null || true
    [ "$rc" -eq "$want" ] || { echo "$name: exit $rc, expected $want" >&2; cat "$tmp/$name.err" >&2; exit 1; }
    if [ -n "$pat" ]; then
        grep -q "$pat" "$tmp/$name.err" || { echo "$name:" >&2; cat "$tmp/$name.err" >&2; exit 1; }
    fi
    # nothing received is lost: every frame printed is in the trace
    "$PY" - "$tmp/$name.out" "$tmp/$name.trace" <<'PY'
import json, sys
n = sum(1 for l in open(sys.argv[1]) if '"status"' in l)
recs = [l for l in open(sys.argv[2]) if not l.startswith("#") and " < " in l]
if len(recs) < n:
    sys.exit(f"{n} readings but {len(recs)} records")
PY
    echo "  fault $name: ok"
}
fault garbage toledo-cont 0 "" --fault garbage=2
fault truncate toledo-cont 0 "" --fault truncate=3
fault truncate-xk xk3190 0 "" --fault truncate=2 --set xk_format=wg
fault checksum toledo-cont 1 'no valid frame within 600 ms; [0-9]* frames refused, the last: Toledo: checksum error' --fault error=1
fault checksum-xk xk3190 1 'XK3190: checksum error' --fault error=1
fault silence toledo-cont 1 'Toledo: .*nothing received within 600 ms (the indicator sends by itself' --fault silent=3
fault disconnect xk3190 1 'disconnect\|closed' --fault disconnect=4
echo "indicators.sh: ok"
