#!/usr/bin/env bash
# End to end: every driver through `caldaq read` against its simulator, then
# through the trace of that session replayed; the faults a bench sees
# (disconnect, silence, garbage, a device error) give a clear error and no
# crash; `caldaq decode` on every fixture. Needs CALDAQ.
set -euo pipefail
: "${CALDAQ:?path of the caldaq binary}"
PY=/usr/bin/python3
here=$(cd "$(dirname "$0")" && pwd)
fixtures="$here/../fixtures"
tmp=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

wait_link() {
    for _ in $(seq 100); do [ -e "$1" ] && return 0; sleep 0.05; done
    echo "no simulator at $1" >&2; exit 1
}

start_sim() {  # start_sim NAME DRIVER ARGS... -> port in $tmp/NAME.port
    local name=$1 drv=$2; shift 2
    "$CALDAQ" sim "$drv" --port-link "$tmp/$name" --seed 5 --settle 0 "$@" </dev/null >/dev/null 2>"$tmp/$name.simerr" &
    pids+=($!)
    wait_link "$tmp/$name"
}

# The readings of two --json runs, compared as (value, unit, status, display).
same_readings() {
    "$PY" - "$1" "$2" <<'PY'
import json, sys
def readings(path):
    rows = [json.loads(l) for l in open(path)]
    return [(r["value"], r["unit"], r["status"], r["display"]) for r in rows if "status" in r]
a, b = readings(sys.argv[1]), readings(sys.argv[2])
assert a and a == b, (a, b)
print(f"  {len(a)} readings identical through the replayed trace")
PY
}

read_and_replay() {  # read_and_replay DRIVER SIMARGS -- READARGS
    local drv=$1; shift
    local simargs=() readargs=()
    while [ "$1" != "--" ]; do simargs+=("$1"); shift; done
    shift
    readargs=("$@")
    start_sim "$drv" "$drv" "${simargs[@]}"
    "$CALDAQ" read --driver "$drv" --port "$tmp/$drv" --count 3 --json \
        --record "$tmp/$drv.trace" "${readargs[@]}" > "$tmp/$drv.json"
    "$PY" - "$tmp/$drv.json" "$drv" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
ident, readings = rows[0], rows[1:]
assert ident["driver"] == sys.argv[2] and ident["model"], ident
assert len(readings) == 3, rows
for r in readings:
    assert set(r) >= {"value", "unit", "status", "display"}, r
    assert r["status"] in ("stable", "unstable", "overload", "underload", "error"), r
print(f"{sys.argv[2]}: {ident['manufacturer']} {ident['model']}: {readings[0]['display']} {readings[0]['unit']} {readings[0]['status']}")
PY
    "$CALDAQ" sim --trace "$tmp/$drv.trace" --port-link "$tmp/$drv.replay" --fast >/dev/null 2>"$tmp/$drv.replayerr" &
    local replay=$!
    wait_link "$tmp/$drv.replay"
    "$CALDAQ" read --driver "$drv" --port "$tmp/$drv.replay" --count 3 --json "${readargs[@]}" > "$tmp/$drv.json2"
    wait "$replay" || { cat "$tmp/$drv.replayerr" >&2; exit 1; }
    same_readings "$tmp/$drv.json" "$tmp/$drv.json2"
}

read_and_replay mtsics --loads 100 -- --serial 9600,8N1
read_and_replay sbi --loads 100 -- --serial 1200,7O1
read_and_replay aandd --loads 100 -- --serial 2400,7E1
read_and_replay scpi --loads 5 --unit V -- --set func=VOLT:DC --set range=10
read_and_replay modbus --loads 1.5 -- --preset keller
read_and_replay fluke-ttr --loads 25.587 --
read_and_replay fluke-1529 -- --set ch=2
read_and_replay millik -- --set ch=1 --set range=115

expect_fail() {  # expect_fail NAME PATTERN DRIVER SIMARGS -- READARGS
    local name=$1 pattern=$2 drv=$3; shift 3
    local simargs=()
    while [ "$1" != "--" ]; do simargs+=("$1"); shift; done
    shift
    start_sim "$name" "$drv" "${simargs[@]}"
    set +e
    "$CALDAQ" read --driver "$drv" --port "$tmp/$name" --count 5 --set timeout_ms=500 "$@" \
        > "$tmp/$name.out" 2> "$tmp/$name.err"
    local rc=$?
    set -e
    if [ "$rc" -ne 1 ] || ! grep -qi -- "$pattern" "$tmp/$name.err"; then
        echo "$name: status $rc, stderr:" >&2; cat "$tmp/$name.err" >&2; exit 1
    fi
    echo "$name: $(tail -1 "$tmp/$name.err")"
}
expect_fail mt-disconnect 'is disconnected' mtsics --fault disconnect=4 --
expect_fail mt-silent 'no complete reply within' mtsics --fault silent=4 --
expect_fail mt-error 'ET\|error' mtsics --fault error=2 --
expect_fail scpi-error 'error' scpi --fault error=3 -- --set func=VOLT:DC
expect_fail modbus-exception 'exception' modbus --set exception=2 -- --preset keller
expect_fail ttr-disconnect 'is disconnected' fluke-ttr --fault disconnect=4 --
expect_fail ttr-silent 'no reply to T' fluke-ttr --fault silent=4 --
expect_fail ttr-error 'T answered with an error: Error: unknown command' fluke-ttr --fault error=3 --
expect_fail c1529-error 'MEAS? 1 failed.*the readout reports -102' fluke-1529 --fault error=4 --
expect_fail c1529-silent 'no reply to MEAS? 1' fluke-1529 --fault silent=4 --
expect_fail millik-error 'answered with an error: Error: Invalid command' millik --fault error=3 --
expect_fail millik-disconnect 'is disconnected' millik --fault disconnect=3 --

# A fault while recording: every reading taken before it is on stdout and
# every byte exchanged before it is in the trace.
# (disconnect=7: DU=H, LF=ON, U=C, *IDN? and two T are answered; the reply
# to the 7th may be lost with the connection, so at least 2 readings.)
start_sim ttr-rec fluke-ttr --fault disconnect=7 --loads 25.587 --set noise=0
set +e
"$CALDAQ" read --driver fluke-ttr --port "$tmp/ttr-rec" --count 5 --json --record "$tmp/ttr-rec.trace" \
    > "$tmp/ttr-rec.json" 2> "$tmp/ttr-rec.err"
rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q 'is disconnected' "$tmp/ttr-rec.err" || { cat "$tmp/ttr-rec.err" >&2; exit 1; }
n_json=$(grep -c '"display":"25.587"' "$tmp/ttr-rec.json" || true)
n_trace=$(grep -c '^[0-9.]* < "t:   25.587 C\\r\\n"' "$tmp/ttr-rec.trace" || true)
[ "$n_json" -ge 2 ] && [ "$n_trace" -ge "$n_json" ] || { echo "ttr-rec: $n_json readings, $n_trace in the trace" >&2; exit 1; }
echo "ttr-rec: $n_json readings before the disconnect kept, their bytes in the trace"

# Garbage before replies: the thermometer drivers resync on the next line.
for drv in fluke-ttr fluke-1529 millik; do
    start_sim "$drv-noisy" "$drv" --fault garbage=1
    "$CALDAQ" read --driver "$drv" --port "$tmp/$drv-noisy" --count 3 --json > "$tmp/$drv-noisy.out"
    [ "$(grep -c '"status":"stable"' "$tmp/$drv-noisy.out")" -eq 3 ]
    echo "$drv-noisy: 3 readings through garbage"
done

# KELLER "Set Zero P1" (FC16 to 0xFF00) only when writing is allowed.
start_sim kzero modbus --loads 0.03 --set noise=0
set +e
"$CALDAQ" read --driver modbus --port "$tmp/kzero" --preset keller --zero 2> "$tmp/kzero.err" >/dev/null
rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q "allow_write=1" "$tmp/kzero.err"
"$CALDAQ" read --driver modbus --port "$tmp/kzero" --preset keller --set allow_write=1 --zero \
    --json > "$tmp/kzero.json"
"$PY" -c 'import json,sys; r=[json.loads(l) for l in open(sys.argv[1])][1]; assert r["value"] == 0, r' "$tmp/kzero.json"
echo "modbus zero: refused without allow_write, 0.03 bar -> 0 with it"

# Garbage before each reply: the driver resyncs on the next line and reads on.
start_sim mt-noisy mtsics --fault garbage=1 --loads 100
"$CALDAQ" read --driver mtsics --port "$tmp/mt-noisy" --count 3 > "$tmp/noisy.out"
[ "$(grep -c '^stable *100.00 g' "$tmp/noisy.out")" -eq 3 ]
echo "mt-noisy: 3 readings through garbage"

# Only garbage where a reply should be: a protocol error quoting it.
cat > "$tmp/garbage.trace" <<'T'
# caldaq-trace 1
0.00 > "I2\r\n"
0.01 < "I2 A \"XS204 Excellence 220.00 g\"\r\n"
0.02 > "I3\r\n"
0.03 < "I3 A \"2.10\"\r\n"
0.04 > "I4\r\n"
0.05 < "I4 A \"0123456789\"\r\n"
0.06 > "SI\r\n"
0.07 < "\xFF\xFE\x00q#~\r\n"
2.00 ! timeout
T
# not --fast: the instrument stays silent after the garbage until 2 s
"$CALDAQ" sim --trace "$tmp/garbage.trace" --port-link "$tmp/garbage" >/dev/null 2>&1 &
pids+=($!)
wait_link "$tmp/garbage"
set +e
"$CALDAQ" read --driver mtsics --port "$tmp/garbage" --set timeout_ms=500 > /dev/null 2> "$tmp/garbage.err"
rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q 'xFF' "$tmp/garbage.err" || { echo "garbage: $rc"; cat "$tmp/garbage.err"; exit 1; }
echo "mt-garbage: $(cat "$tmp/garbage.err")"

# decode every fixture: the same record as its .expect
for drv in mtsics sbi aandd scpi modbus fluke-ttr fluke-1529 millik; do
    n=0
    for bytes in "$fixtures/$drv"/*.bytes; do
        [ -e "$bytes" ] || continue
        expect="${bytes%.bytes}.expect"
        map=()
        if [ -f "${bytes%.bytes}.map" ]; then
            for kv in $(cat "${bytes%.bytes}.map"); do map+=(--set "$kv"); done
        fi
        case "$(basename "$bytes")" in tcp_*) map+=(--tcp) ;; esac
        set +e
        "$CALDAQ" decode --driver "$drv" --json "${map[@]}" < "$bytes" > "$tmp/dec.json" 2>/dev/null
        set -e
        "$PY" - "$tmp/dec.json" "$expect" <<'PY'
import json, sys
got = [json.loads(l) for l in open(sys.argv[1])]
want = json.loads(open(sys.argv[2]).read())
assert len(got) >= 1, got
g = got[0]
if "status" not in want:   # a frame the parser must refuse
    assert "offset" in g and want["error"].lower() in g["error"].lower(), (sys.argv[2], g, want)
else:
    for k in ("unit", "status", "display"):
        assert g[k] == want[k], (sys.argv[2], k, g, want)
    if "error" in want:
        assert want["error"] == g.get("error"), (sys.argv[2], g, want)
    if want["value"] is None:
        assert g["value"] is None, (g, want)
    else:
        assert abs(g["value"] - want["value"]) <= 1e-9 * max(1, abs(want["value"])), (g, want)
PY
        n=$((n + 1))
    done
    echo "decode $drv: $n fixtures"
done

# garbage in the middle of a stream: an error record with its offset, the rest decoded
printf 'S S     100.00 g\r\n\xff\xfe\x00junk\r\nS D      99.99 g\r\n' > "$tmp/mixed"
set +e
"$CALDAQ" decode --driver mtsics --json < "$tmp/mixed" > "$tmp/mixed.json" 2> "$tmp/mixed.err"
rc=$?
set -e
[ "$rc" -eq 1 ]
"$PY" - "$tmp/mixed.json" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert rows[0]["status"] == "stable" and rows[0]["value"] == 100.0, rows
assert rows[1]["offset"] == 18 and rows[1]["error"], rows
assert rows[2]["status"] == "unstable" and rows[2]["display"] == "99.99", rows
PY
echo "drivers.sh: ok"
