#!/usr/bin/env bash
# End-to-end: `caldaq sim`. An MT-SICS balance on a pseudo-terminal behind a
# symlink, talked to with pyserial (Debian's python3-serial) at 9600 8N1 as a
# lab script would, steered through the --control socket; then a 34401A
# multimeter on a loopback TCP port picked by the system, two connections
# one after the other. Each simulator is stopped with a signal and must
# exit 0 and remove its symlink / control socket. A few seconds in all.
# Needs: CALDAQ (the built binary), /usr/bin/python3 with python3-serial.
set -euo pipefail

: "${CALDAQ:?set CALDAQ to the caldaq binary}"
PY=/usr/bin/python3

tmp=$(mktemp -d "${TMPDIR:-/tmp}/caldaq-sim.XXXXXX")
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
    echo "sim.sh: FAIL: $*" >&2
    [ -s "$tmp/err" ] && sed 's/^/  stderr: /' "$tmp/err" >&2
    exit 1
}

# Wait (up to 5 s) until a path exists / a file has a line.
wait_for() {
    for _ in $(seq 50); do
        if [ "$1" = -s ]; then [ -s "$2" ] && return 0; else [ -e "$1" ] && return 0; fi
        sleep 0.1
    done
    return 1
}

# ---------------------------------------------------------------- mtsics, pty
"$CALDAQ" sim mtsics --port-link "$tmp/bal" --control "$tmp/ctl" --loads 0,100,500 \
    --noise 0 --settle 0 --fault error=5 </dev/null >"$tmp/out" 2>"$tmp/err" &
pid=$!
pids+=("$pid")
wait_for "$tmp/bal" && wait_for "$tmp/ctl" || fail "no symlink / control socket from caldaq sim"
[ -L "$tmp/bal" ] || fail "$tmp/bal is not a symlink"

"$PY" - "$tmp/bal" "$tmp/ctl" <<'EOF' || fail "mtsics replies"
import socket, sys
import serial

port = serial.Serial(sys.argv[1], 9600, bytesize=8, parity="N", stopbits=1, timeout=2)

def ask(cmd, want):
    port.write(cmd)
    got = port.read_until(b"\n")
    ok = got == want
    print(f"  {cmd!r:12} -> {got!r:28} {'ok' if ok else 'FAIL, want ' + repr(want)}")
    if not ok:
        sys.exit(1)

def control(cmd):
    c = socket.socket(socket.AF_UNIX)
    c.connect(sys.argv[2])
    c.sendall(cmd + b"\n")
    reply = c.makefile("rb").readline()
    c.close()
    print(f"  control {cmd!r} -> {reply!r}")
    return reply

ask(b"SI\r\n", b"S S       0.00 g\r\n")
ask(b"I4\r\n", b'I4 A "0123456789"\r\n')
assert control(b"next") == b"load 100.00 g (2/3)\n"
ask(b"S\r\n", b"S S     100.00 g\r\n")
ask(b"XYZ\r\n", b"ES\r\n")
ask(b"SI\r\n", b"ET\r\n")          # the 5th request: --fault error=5
control(b"next")
ask(b"SI\r\n", b"S +\r\n")
EOF

kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
[ "$rc" -eq 0 ] || fail "caldaq sim mtsics exited $rc after SIGTERM"
[ ! -e "$tmp/bal" ] && [ ! -L "$tmp/bal" ] || fail "the symlink is still there after SIGTERM"
[ ! -e "$tmp/ctl" ] || fail "the control socket is still there after SIGTERM"

# ---------------------------------------------------------------- scpi, TCP
: >"$tmp/err"
"$CALDAQ" sim scpi --tcp 0 --loads 1.5 --noise 0 </dev/null >"$tmp/port" 2>"$tmp/err" &
pid=$!
pids+=("$pid")
wait_for -s "$tmp/port" || fail "caldaq sim --tcp 0 printed no port"

"$PY" - "$(head -1 "$tmp/port")" <<'EOF' || fail "scpi replies over TCP"
import socket, sys

port = int(sys.argv[1])
for conn in range(2):   # one connection after another
    c = socket.create_connection(("127.0.0.1", port), timeout=2)
    f = c.makefile("rb")
    for cmd, want in [(b"*IDN?\n", b"HEWLETT-PACKARD,34401A,0,10-5-2\r\n"),
                      (b"CONF:VOLT:DC 10,0.00001\nREAD?\n", b"+1.50000000E+00\r\n"),
                      (b"BOGUS\nSYST:ERR?\n", b'-113,"Undefined header"\r\n'),
                      (b"SYST:ERR?\n", b'+0,"No error"\r\n')]:
        c.sendall(cmd)
        got = f.readline()
        ok = got == want
        print(f"  [{conn}] {cmd!r:34} -> {got!r:36} {'ok' if ok else 'FAIL, want ' + repr(want)}")
        if not ok:
            sys.exit(1)
    c.close()
EOF

kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
[ "$rc" -eq 0 ] || fail "caldaq sim scpi exited $rc after SIGINT"

# ------------------------------------------- thermometer readouts (docs/temperature.md)
: >"$tmp/err"
"$CALDAQ" sim fluke-ttr --port-link "$tmp/ttr" --loads 25.587 --noise 0 --set duplex=full \
    </dev/null >/dev/null 2>"$tmp/err" &
pids+=($!)
"$CALDAQ" sim fluke-1529 --port-link "$tmp/chub" --loads 25.1234 --noise 0 \
    </dev/null >/dev/null 2>>"$tmp/err" &
pids+=($!)
"$CALDAQ" sim millik --port-link "$tmp/mk" --loads 0 --noise 0 </dev/null >/dev/null 2>>"$tmp/err" &
pids+=($!)
wait_for "$tmp/ttr" && wait_for "$tmp/chub" && wait_for "$tmp/mk" || fail "no thermometer simulators"

"$PY" - "$tmp/ttr" "$tmp/chub" "$tmp/mk" <<'EOF' || fail "thermometer simulators' replies"
import sys
import serial

def check(port, cmd, want, end=b"\n"):
    port.write(cmd)
    got = port.read_until(end)
    ok = got == want
    print(f"  {cmd!r:26} -> {got!r:34} {'ok' if ok else 'FAIL, want ' + repr(want)}")
    if not ok:
        sys.exit(1)

ttr = serial.Serial(sys.argv[1], 9600, timeout=2)
check(ttr, b"U=K\r", b"U=K\r\n")               # full duplex: the echo, no reply
check(ttr, b"DU=H\r", b"DU=H\r\n")             # echoed, then half duplex
check(ttr, b"T\r", b"t:  298.737 K\r\n")
ttr.write(b"U=C\rLF=OFF\r")
check(ttr, b"FETC?\r", b"25.587\r", b"\r")
check(ttr, b"BOGUS\r", b"Error: unknown command\r", b"\r")

chub = serial.Serial(sys.argv[2], 9600, timeout=3)
check(chub, b"MEAS? 2\n", b"25.1254\r\n")
check(chub, b"MEAS? 7\nSYST:ERR?\n", b'-222,"Data out of range"\r\n')
chub.write(b"MEAS:PER 1\n")
lines = [chub.read_until(b"\n") for _ in range(4)]
print(f"  MEAS:PER 1 -> {lines}")
assert lines == [b"%d: %.4f C\r\n" % (ch, 25.1234 + 0.001 * ch) for ch in range(1, 5)], lines
chub.write(b"MEAS:PER 0\n")

mk = serial.Serial(sys.argv[3], 9600, timeout=2)
check(mk, b"MEAS:RES1? 115,NORM,4\r", b"100.00000\r", b"\r")
check(mk, b"MEAS:RES1? 5,NORM,4\r", b"Error: Invalid range\r", b"\r")
check(mk, b"MEAS:TEMP3?\r", b"Error: Invalid channel\r", b"\r")
EOF

# ---------------------------------------------------------------- usage errors
rc=0
"$CALDAQ" sim nosuch </dev/null >/dev/null 2>"$tmp/err" || rc=$?
[ "$rc" -eq 2 ] || fail "caldaq sim nosuch exited $rc, expected 2"
"$CALDAQ" sim --help | grep -q -- "--port-link" || fail "caldaq sim --help"

echo "sim.sh: ok"
