#!/usr/bin/env bash
# End to end: record a conversation with each ASCII simulator through the
# serial transport (`caldaq raw --record`), play the trace back through a pty
# (`caldaq sim --trace --fast`), talk to it again and record that: the two
# traces hold byte-identical exchanges. Then a host that says something else
# is stopped with the trace line and both byte strings, and a `! disconnect`
# gives the host a clean error after everything sent before it.
# Needs CALDAQ.
set -euo pipefail
: "${CALDAQ:?path of the caldaq binary}"
PY=/usr/bin/python3
tmp=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

wait_link() {  # the simulator makes its symlink once the pty is ready
    for _ in $(seq 100); do [ -L "$1" ] && return 0; sleep 0.05; done
    echo "no symlink $1" >&2; exit 1
}

# Compare the exchanges (direction + bytes) of two traces, ignoring times.
# Consecutive records of one direction are one exchange: a reply read in two
# pieces (a busy machine) is the same bytes as one read whole.
same_exchanges() {
    "$PY" - "$1" "$2" <<'PY'
import sys
def records(path):
    out = []
    for line in open(path, encoding="ascii"):
        if line.startswith("#") or not line.strip():
            continue
        t, d, payload = line.rstrip("\n").split(" ", 2)
        quoted = d in "<>" and len(payload) >= 2 and payload[0] == payload[-1] == '"'
        if quoted and out and out[-1][0] == d and out[-1][2]:
            out[-1] = (d, out[-1][1] + payload[1:-1], True)
        else:
            out.append((d, payload[1:-1] if quoted else payload, quoted))
    return [(d, p) for d, p, _ in out]
a, b = records(sys.argv[1]), records(sys.argv[2])
if a != b:
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            sys.exit(f"record {i + 1} differs: {x} vs {y}")
    sys.exit(f"{len(a)} records vs {len(b)}")
print(f"  {len(a)} records byte-identical")
PY
}

converse() {  # converse DRIVER SERIAL SCRIPT: record against the simulator, then the replay
    local drv=$1 ser=$2 script=$3
    "$CALDAQ" sim "$drv" --port-link "$tmp/$drv.sim" --seed 3 --settle 0 </dev/null >/dev/null &
    pids+=($!)
    wait_link "$tmp/$drv.sim"
    printf '%s' "$script" | "$CALDAQ" raw --port "$tmp/$drv.sim" --serial "$ser" \
        --record "$tmp/$drv.trace" --driver "$drv" --timeout-ms 500 > "$tmp/$drv.out1"
    grep -q '^# driver: '"$drv" "$tmp/$drv.trace"
    "$CALDAQ" sim --trace "$tmp/$drv.trace" --port-link "$tmp/$drv.replay" --fast \
        > /dev/null 2> "$tmp/$drv.replay.err" &
    local replay=$!
    wait_link "$tmp/$drv.replay"
    printf '%s' "$script" | "$CALDAQ" raw --port "$tmp/$drv.replay" --serial "$ser" \
        --record "$tmp/$drv.again" --timeout-ms 500 > "$tmp/$drv.out2"
    wait "$replay" || { cat "$tmp/$drv.replay.err" >&2; exit 1; }
    echo "$drv:"
    same_exchanges "$tmp/$drv.trace" "$tmp/$drv.again"
    cmp -s "$tmp/$drv.out1" "$tmp/$drv.out2"
}

# One stdin line per host write, in the C-escape notation of traces.
converse mtsics 9600,8N1 $'I4\\r\\n\nSI\\r\\n\nS\\r\\n\nZ\\r\\n\nXYZ\\r\\n\n'
converse sbi 1200,7O1 $'\\x1bP\\r\\n\n\\x1bx1_\\r\\n\n\\x1bT\\r\\n\n\\x1bP\\r\\n\n'
converse aandd 2400,7E1 $'Q\\r\\n\nS\\r\\n\n?ID\\r\\n\nR\\r\\n\n'
converse scpi 9600,8N2,dtrdsr $'*IDN?\\n\nSYST:REM\\n\nCONF:VOLT:DC 10,0.00001\\n\nREAD?\\n\nSYST:ERR?\\n\n'
# The reference thermometers (docs/temperature.md): the milliK ends its lines in CR alone.
converse fluke-ttr 9600,8N1 $'DU=H\\r\nLF=ON\\r\nU=C\\r\n*IDN?\\r\nT\\r\nFETC?\\r\nU=O\\r\nT\\r\nXYZ\\r\n'
converse fluke-1529 9600,8N1 $'*IDN?\\n\nUNIT:TEMP C\\n\nMEAS? 1\\n\nREAD? 3\\n\nMEAS? 9\\n\nSYST:ERR?\\n\n'
converse millik 9600,8N1 $'MILLIK:REMOTE\\r\n*IDN?\\r\nMEAS:RES1? 115,NORM,4\\r\nMEAS:TEMP2?\\r\nMEAS:RES1? 7,NORM,4\\r\nMILLIK:LOCAL\\r\n*IDN?\\r\n'

# Divergence: the replay stops with the trace line and both strings.
"$CALDAQ" sim --trace "$tmp/mtsics.trace" --port-link "$tmp/div" --fast > /dev/null 2> "$tmp/div.err" &
replay=$!
wait_link "$tmp/div"
printf '%s\n' 'I4\r\n' 'SIR\r\n' | "$CALDAQ" raw --port "$tmp/div" --timeout-ms 300 > /dev/null 2>&1 || true
if wait "$replay"; then echo "replay accepted a diverging host" >&2; exit 1; fi
grep -q 'replay diverged at trace line [0-9]*: the host wrote ".*SIR\\r\\n", the trace expects ".*SI\\r\\n"' "$tmp/div.err" \
    || { cat "$tmp/div.err" >&2; exit 1; }

# A disconnect event: the host keeps what it read and gets a clean error.
cat > "$tmp/dis.trace" <<'T'
# caldaq-trace 1
# transport: serial
0.000 > "SI\r\n"
0.050 < "S S     100.00 g\r\n"
0.100 ! disconnect
T
"$CALDAQ" sim --trace "$tmp/dis.trace" --port-link "$tmp/dis" --fast > /dev/null 2>&1 &
pids+=($!)
wait_link "$tmp/dis"
set +e
printf '%s\n' 'SI\r\n' 'wait 500' 'SI\r\n' | "$CALDAQ" raw --port "$tmp/dis" --timeout-ms 500 > "$tmp/dis.out" 2> "$tmp/dis.err"
rc=$?
set -e
[ "$rc" -eq 1 ] || { echo "raw exit $rc after a disconnect" >&2; exit 1; }
grep -q '< "S S     100.00 g\\r\\n"' "$tmp/dis.out"
grep -qi 'closed\|disconnect' "$tmp/dis.err" || { cat "$tmp/dis.err" >&2; exit 1; }

# A malformed trace is refused with its line number, nothing served.
printf '# caldaq-trace 1\n0.1 > "SI\\q"\n' > "$tmp/bad.trace"
if "$CALDAQ" sim --trace "$tmp/bad.trace" --port-link "$tmp/bad" 2> "$tmp/bad.err"; then exit 1; fi
grep -q 'bad.trace:2: column 10: unknown escape' "$tmp/bad.err" || { cat "$tmp/bad.err" >&2; exit 1; }
echo "record_replay.sh: ok"
