#!/usr/bin/env bash
# End-to-end: udev/60-caldaq.rules and the example rules of udev/README run
# through udev's own rule engine (`udevadm test`) on made-up USB-serial
# adapters, then `caldaq ports --json` must show the names udev made.
#
# Everything happens in a private mount namespace (unshare -m) where /sys is
# a made-up sysfs tree (the layout the kernel gives a USB-serial port: PCI
# controller, USB device with idVendor/idProduct/serial, interface, usb-serial
# port, tty), /dev and /run are scratch folders, and /etc/udev/rules.d holds
# only our rules: the machine's own /dev, /run and udev database are never
# touched. SYSTEMD_DEVICE_VERIFY_SYSFS=0 lets udev read a sysfs that is not
# the kernel's. Last, a sysfs with no serial port at all: `caldaq ports`
# says so (exit 0) and --json prints [].
#
# Needs root, unshare and udevadm (Debian package udev); skipped otherwise.
# Needs: CALDAQ (the built binary).
set -euo pipefail

: "${CALDAQ:?set CALDAQ to the caldaq binary}"
PY=/usr/bin/python3
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
UDEV_DIR=$(cd "$HERE/../../udev" && pwd)
CALDAQ=$(cd "$(dirname "$CALDAQ")" && pwd)/$(basename "$CALDAQ")

# 77: could not run here (tests/run-tests counts a skip; under CI=true, a failure).
skip() {
    echo "udev.sh: skipped: $*"
    exit 77
}
fail() {
    echo "udev.sh: FAIL: $*" >&2
    exit 1
}

# 78: this system cannot give what the test needs whatever is installed
# (not root; no private mount namespace, e.g. in a chroot whose root is not
# a mount point): a skip, also under CI, with the reason.
cannot() {
    echo "udev.sh: skipped: $*"
    exit 78
}
[ "$(id -u)" -eq 0 ] || cannot "needs root (mount namespace)"
command -v udevadm >/dev/null || skip "no udevadm (apt-get install udev)"
command -v unshare >/dev/null || skip "no unshare (apt-get install util-linux)"
if ! unshare -m true 2>/dev/null; then
    if unshare -m --propagation unchanged true 2>/dev/null; then
        cannot "unshare -m cannot make mounts private here: / is not a mount point (a chroot?)"
    fi
    cannot "unshare -m not permitted here"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/caldaq-udev.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# ---------------------------------------------------------------- fake sysfs

SYS=$tmp/sys
PCI=$SYS/devices/pci0000:00/0000:00:14.0
mkdir -p "$SYS/class/tty" "$SYS/bus/pci" "$SYS/bus/usb/drivers" "$SYS/bus/usb-serial/drivers"
mkdir -p "$PCI/usb1"
ln -s ../../../bus/pci "$PCI/subsystem"
printf 'PCI_SLOT_NAME=0000:00:14.0\n' >"$PCI/uevent"
echo 0x8086 >"$PCI/vendor"
echo 0xa36d >"$PCI/device"
ln -s ../../../../bus/usb "$PCI/usb1/subsystem"
printf 'DEVTYPE=usb_device\nBUSNUM=001\nDEVNUM=001\n' >"$PCI/usb1/uevent"
# The root hub has a serial attribute too: the reason README's rules keep
# ATTRS{idVendor} beside ATTRS{serial}.
echo 1d6b >"$PCI/usb1/idVendor"
echo 0002 >"$PCI/usb1/idProduct"
echo 0000:00:14.0 >"$PCI/usb1/serial"
echo 1 >"$PCI/usb1/busnum"
echo 1 >"$PCI/usb1/devnum"

# adapter N VID PID SERIAL(- for none) DRIVER MANUFACTURER PRODUCT
# plugs a one-port adapter into root hub port N as /dev/ttyUSB(N-2).
adapter() {
    local port=$1 vid=$2 pid=$3 serial=$4 drv=$5 maker=$6 product=$7
    local tty=ttyUSB$((port - 2))
    local dev=$PCI/usb1/1-$port
    local intf=$dev/1-$port:1.0
    local us=$intf/$tty
    local node=$us/tty/$tty
    mkdir -p "$node" "$SYS/bus/usb/drivers/$drv" "$SYS/bus/usb-serial/drivers/$drv"
    ln -s ../../../../../bus/usb "$dev/subsystem"
    printf 'DEVTYPE=usb_device\nBUSNUM=001\nDEVNUM=%03d\n' "$port" >"$dev/uevent"
    echo "$vid" >"$dev/idVendor"
    echo "$pid" >"$dev/idProduct"
    [ "$serial" = - ] || echo "$serial" >"$dev/serial"
    if [ -n "$maker" ]; then echo "$maker" >"$dev/manufacturer"; fi
    echo "$product" >"$dev/product"
    echo 0600 >"$dev/bcdDevice"
    echo 1 >"$dev/busnum"
    echo "$port" >"$dev/devnum"
    ln -s ../../../../../../bus/usb "$intf/subsystem"
    ln -s "../../../../../../bus/usb/drivers/$drv" "$intf/driver"
    printf 'DEVTYPE=usb_interface\nDRIVER=%s\nINTERFACE=255/255/255\n' "$drv" >"$intf/uevent"
    echo 00 >"$intf/bInterfaceNumber"
    echo ff >"$intf/bInterfaceClass"
    echo ff >"$intf/bInterfaceSubClass"
    echo ff >"$intf/bInterfaceProtocol"
    ln -s ../../../../../../../bus/usb-serial "$us/subsystem"
    printf 'DRIVER=%s\n' "$drv" >"$us/uevent"
    echo 0 >"$us/port_number"
    ln -s ../../../../../../../../../class/tty "$node/subsystem"
    ln -s "../../../$tty" "$node/device"
    printf 'MAJOR=188\nMINOR=%d\nDEVNAME=%s\n' $((port - 2)) "$tty" >"$node/uevent"
    echo "188:$((port - 2))" >"$node/dev"
    ln -s "../../devices/pci0000:00/0000:00:14.0/usb1/1-$port/1-$port:1.0/$tty/tty/$tty" \
        "$SYS/class/tty/$tty"
}

# The FTDI carries the serial number of README's balance1 example; the CH340
# sits in port 3, the socket of README's dmm1 examples.
adapter 2 0403 6001 A1B2C3 ftdi_sio FTDI "FT232R USB UART"
adapter 3 1a86 7523 - ch341 "" "USB Serial"
adapter 4 10c4 ea60 0001 cp210x "Silicon Labs" "CP2102 USB to UART Bridge Controller"
adapter 5 067b 23a3 - pl2303 "Prolific Technology Inc." "USB-Serial Controller"
adapter 6 2341 0043 8573 other "Arduino" "Uno"
adapter 7 10c4 ea60 02A1B2C3 cp210x "Silicon Labs" "CP2102N USB to UART Bridge Controller"
adapter 8 0403 6015 DN0ABCDE ftdi_sio FTDI "FT230X Basic UART"

# ---------------------------------------------------------------- rules

mkdir -p "$tmp/rules.d" "$tmp/dev" "$tmp/run"
cp "$UDEV_DIR/60-caldaq.rules" "$tmp/rules.d/"
# The lab's own names: README's example rules, as a lab would copy them.
grep -E '^    SUBSYSTEM==.*SYMLINK\+="caldaq/' "$UDEV_DIR/README" | sed 's/^ *//' \
    >"$tmp/rules.d/61-caldaq-lab.rules"
[ "$(wc -l <"$tmp/rules.d/61-caldaq-lab.rules")" -ge 3 ] \
    || fail "expected 3 example rules in udev/README"
: >"$tmp/dev/null"
for i in 0 1 2 3 4 5 6; do : >"$tmp/dev/ttyUSB$i"; done
: >"$tmp/dev/.caldaq-sandbox"
mkdir -p "$tmp/nosys/class/tty" "$tmp/nosys/devices/virtual/tty/tty0"
ln -s ../../devices/virtual/tty/tty0 "$tmp/nosys/class/tty/tty0"

# ---------------------------------------------------------------- sandbox

cat >"$tmp/inside.sh" <<'EOF'
set -euo pipefail
t=$1 caldaq=$2
mount --bind /dev/null "$t/dev/null"
[ -e /dev/urandom ] && : >"$t/dev/urandom" && mount --bind /dev/urandom "$t/dev/urandom"
mount --bind "$t/sys" /sys
mount --bind "$t/rules.d" /etc/udev/rules.d
mount --bind "$t/run" /run
mount --bind "$t/dev" /dev
# Never run udev against the real /dev.
[ -e /dev/.caldaq-sandbox ] || { echo "sandbox /dev not in place" >&2; exit 1; }
for i in 0 1 2 3 4 5 6; do
    SYSTEMD_DEVICE_VERIFY_SYSFS=0 udevadm test --action=add "/sys/class/tty/ttyUSB$i" \
        >"$t/udev-ttyUSB$i.log" 2>&1
done
"$caldaq" ports --json >"$t/ports.json"
"$caldaq" ports >"$t/ports.txt"
find /dev/caldaq /dev/serial -type l -printf '%p -> %l\n' 2>/dev/null | sort >"$t/links.txt"
# A computer with no serial port at all (only virtual ttys).
mount --bind "$t/nosys" /sys
"$caldaq" ports >"$t/none.txt"
"$caldaq" ports --json >"$t/none.json"
EOF
unshare -m bash "$tmp/inside.sh" "$tmp" "$CALDAQ" || fail "sandbox run failed"

if grep -H -E '(60|61)-caldaq(-lab)?\.rules.*(Invalid|invalid|error|failed)' "$tmp"/udev-*.log; then
    fail "udev rejected part of the rules"
fi
grep -q '60-caldaq.rules:[0-9]* MODE 0660' "$tmp/udev-ttyUSB0.log" \
    || fail "60-caldaq.rules did not set MODE 0660 on the FTDI (see $tmp/udev-ttyUSB0.log)"
grep -q '60-caldaq.rules:[0-9]* GROUP ' "$tmp/udev-ttyUSB0.log" \
    || fail "60-caldaq.rules did not set the group on the FTDI"
if grep -q '60-caldaq.rules:[0-9]* MODE' "$tmp/udev-ttyUSB4.log"; then
    fail "60-caldaq.rules touched an adapter it does not know (2341:0043)"
fi

"$PY" - "$tmp/ports.json" "$tmp/links.txt" "$tmp/ports.txt" <<'EOF' || fail "names"
import json, sys
ports = {p["path"]: p for p in json.load(open(sys.argv[1]))}
links = open(sys.argv[2]).read()
text = open(sys.argv[3]).read()
bp = "pci-0000:00:14.0-usb-0:{}:1.0"
expect = {
    # path: (vid, pid, serial, caldaq name shown, automatic name that must exist or None)
    "/dev/ttyUSB0": ("0403", "6001", "A1B2C3", "/dev/caldaq/balance1",
                     "/dev/caldaq/by-serial/ftdi-A1B2C3-if00"),
    "/dev/ttyUSB1": ("1a86", "7523", None, "/dev/caldaq/dmm1",
                     "/dev/caldaq/by-port/ch34x-" + bp.format(3)),
    # CP210x factory-default serial 0001: named by socket, not by serial
    "/dev/ttyUSB2": ("10c4", "ea60", "0001", "/dev/caldaq/by-port/cp210x-" + bp.format(4),
                     "/dev/caldaq/by-port/cp210x-" + bp.format(4)),
    "/dev/ttyUSB3": ("067b", "23a3", None, "/dev/caldaq/by-port/pl2303-" + bp.format(5), None),
    "/dev/ttyUSB4": ("2341", "0043", "8573", None, None),   # not an adapter we name
    "/dev/ttyUSB5": ("10c4", "ea60", "02A1B2C3", "/dev/caldaq/by-serial/cp210x-02A1B2C3-if00", None),
    "/dev/ttyUSB6": ("0403", "6015", "DN0ABCDE", "/dev/caldaq/by-serial/ftdi-DN0ABCDE-if00", None),
}
bad = []
for path, (vid, pid, serial, name, auto) in expect.items():
    p = ports.get(path)
    if p is None:
        bad.append(f"{path} not listed"); continue
    got = (p["vid"], p["pid"], p["serial"], p["caldaq"])
    if got != (vid, pid, serial, name):
        bad.append(f"{path}: got {got}, want {(vid, pid, serial, name)}")
    if not p["usb"] or not (p["by_id"] or "").startswith("/dev/serial/by-id/"):
        bad.append(f"{path}: no by-id name: {p}")
    if p["by_path"] != "/dev/serial/by-path/" + bp.format(int(path[-1]) + 2) + "-port0":
        bad.append(f"{path}: by-path {p['by_path']}")
    if auto is not None and auto + " -> " not in links:
        bad.append(f"{path}: {auto} not made")
    if name is not None and name not in text:
        bad.append(f"{path}: {name} not in the text table")
if "by-serial/cp210x-0001" in links:
    bad.append("a by-serial name for the default CP210x serial 0001")
if "2341" in "".join(l for l in links.splitlines() if l.startswith("/dev/caldaq")):
    bad.append("a caldaq name for an unknown adapter")
if bad:
    print("\n".join(bad)); print(links); sys.exit(1)
print(f"  udev made {links.count('/dev/caldaq/')} caldaq names for {len(ports)} made-up adapters")
EOF

grep -q '^No serial ports found' "$tmp/none.txt" || fail "no-port text: $(cat "$tmp/none.txt")"
grep -q 'dialout' "$tmp/none.txt" || fail "no-port text does not mention dialout"
[ "$("$PY" -c 'import json,sys; print(json.load(sys.stdin))' <"$tmp/none.json")" = "[]" ] \
    || fail "no-port JSON is not []"

echo "udev.sh: ok"
