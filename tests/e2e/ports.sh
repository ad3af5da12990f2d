#!/usr/bin/env bash
# End-to-end: `caldaq ports` lists this machine's serial ports (there may be
# none) as text and as JSON, --help works, bad options are usage errors; and
# a lint of the udev rules shipped in udev/: every rule line, including the
# examples in comments and in udev/README, is made of known keys with the
# right operators, SYMLINK only adds (+=), permissions are GROUP="dialout"
# MODE="0660" and never world-writable, and the adapter ids are all there.
# Needs: CALDAQ (the built binary).
set -euo pipefail

: "${CALDAQ:?set CALDAQ to the caldaq binary}"
PY=/usr/bin/python3
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
UDEV_DIR=$(cd "$HERE/../../udev" && pwd)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/caldaq-ports.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

fail() {
    echo "ports.sh: FAIL: $*" >&2
    exit 1
}

# --- the command --------------------------------------------------------

"$CALDAQ" ports >"$tmp/out.txt" 2>"$tmp/err.txt" || fail "caldaq ports exited $?: $(cat "$tmp/err.txt")"
[ -s "$tmp/out.txt" ] || fail "caldaq ports printed nothing"
if grep -q '^No serial ports found' "$tmp/out.txt"; then
    grep -q 'dialout' "$tmp/out.txt" || fail "no-port message does not mention the dialout group"
    grep -q 'udev' "$tmp/out.txt" || fail "no-port message does not mention the udev rules"
else
    head -1 "$tmp/out.txt" | grep -q '^PORT  *VID:PID  *ADAPTER  *SERIAL  *CALDAQ NAME' \
        || fail "unexpected table header: $(head -1 "$tmp/out.txt")"
fi

"$CALDAQ" ports --json >"$tmp/out.json" 2>"$tmp/err.txt" \
    || fail "caldaq ports --json exited $?: $(cat "$tmp/err.txt")"
"$PY" -c 'import json,sys; json.load(sys.stdin)' <"$tmp/out.json" \
    || fail "caldaq ports --json is not JSON"
"$PY" - "$tmp/out.json" "$tmp/out.txt" <<'EOF' || fail "JSON content"
import json, re, sys
ports = json.load(open(sys.argv[1]))
text = open(sys.argv[2]).read()
assert isinstance(ports, list), "not an array"
keys = {"path", "description", "usb", "vid", "pid", "manufacturer", "product",
        "serial", "by_id", "by_path", "caldaq", "accessible"}
for p in ports:
    assert set(p) == keys, f"keys {sorted(p)}"
    assert p["path"].startswith("/dev/"), p["path"]
    assert isinstance(p["usb"], bool) and isinstance(p["accessible"], bool)
    for k in ("vid", "pid"):
        assert p[k] is None or re.fullmatch(r"[0-9a-f]{4}", p[k]), (k, p[k])
    if not p["usb"]:
        assert p["vid"] is None and p["serial"] is None, p
    for k in ("by_id", "by_path", "caldaq"):
        assert p[k] is None or p[k].startswith("/dev/"), (k, p[k])
    # the text table lists the same ports
    assert re.search(r"^" + re.escape(p["path"]) + r" ", text, re.M), p["path"]
print(f"  {len(ports)} port(s) listed")
EOF

"$CALDAQ" ports --help >"$tmp/help.txt" || fail "--help exited $?"
grep -q '^usage: caldaq ports' "$tmp/help.txt" || fail "--help has no usage line"
"$CALDAQ" ports -h >/dev/null || fail "-h exited $?"

set +e
"$CALDAQ" ports --no-such-option >/dev/null 2>"$tmp/err.txt"
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "an unknown option exited $rc, not 2"
grep -q "caldaq ports --help" "$tmp/err.txt" || fail "usage error does not point to --help"
set +e
"$CALDAQ" ports /dev/ttyUSB0 >/dev/null 2>&1
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "an argument exited $rc, not 2"

# --- the udev rules -----------------------------------------------------

RULES="$UDEV_DIR/60-caldaq.rules"
[ -f "$RULES" ] || fail "missing $RULES"
[ -f "$UDEV_DIR/README" ] || fail "missing $UDEV_DIR/README"

if command -v udevadm >/dev/null && udevadm verify --help >/dev/null 2>&1; then
    udevadm verify --resolve-names=never "$RULES" || fail "udevadm verify"
else
    echo "  (udevadm verify not available: systemd < 254 or no udev; the lint below still runs)"
fi

"$PY" - "$RULES" "$UDEV_DIR/README" <<'EOF' || fail "udev rules lint"
import re, sys

rules_path, readme_path = sys.argv[1], sys.argv[2]
QUOTED = r'"(?:[^\\"]|\\.)*"'
MATCH_PLAIN = "ACTION|DEVPATH|KERNEL|KERNELS|NAME|SYMLINK|SUBSYSTEM|SUBSYSTEMS|DRIVER|DRIVERS|TAG|TAGS|TEST|PROGRAM|RESULT"
MATCH_ARG = "ATTR|ATTRS|ENV|CONST|SYSCTL|TEST"
ASSIGN_PLAIN = "NAME|SYMLINK|OWNER|GROUP|MODE|TAG|RUN|LABEL|GOTO|OPTIONS"
ASSIGN_ARG = "ATTR|ENV|IMPORT|RUN|SYSCTL"
ARG = r"\{[A-Za-z0-9_./*%-]+\}"
CLAUSE = re.compile(
    rf"^(?:(?:{MATCH_PLAIN})\s*(?:==|!=)"
    rf"|(?:{MATCH_ARG}){ARG}\s*(?:==|!=)"
    rf"|(?:{ASSIGN_PLAIN})\s*(?:=|\+=|-=|:=)"
    rf"|(?:{ASSIGN_ARG}){ARG}\s*(?:=|\+=|-=|:=))\s*{QUOTED}$")
SPLIT = re.compile(rf'(?:[^,"]|{QUOTED})+')
RULE_START = re.compile(r"^(?:[A-Z]+(?:\{[^}]*\})?\s*(?:==|!=|=|\+=|:=))")

problems = []
def check_rule(where, line, example):
    clauses = [c.strip() for c in SPLIT.findall(line)]
    # Commas separate clauses: a clause with two keys means a missing comma.
    if line.rstrip().endswith(","):
        problems.append(f"{where}: trailing comma")
    keys = {}
    for c in clauses:
        if not CLAUSE.match(c):
            problems.append(f"{where}: bad clause {c!r}")
            continue
        key = re.match(r"[A-Z]+(?:\{[^}]*\})?", c).group(0)
        op = re.search(r"(==|!=|\+=|-=|:=|=)", c).group(1)
        value = c[c.index('"') + 1:-1]
        keys.setdefault(key, []).append((op, value))
        if key == "MODE":
            if value != "0660":
                problems.append(f"{where}: MODE={value!r}, must be 0660")
            if re.fullmatch(r"0?[0-7]{3}", value) and int(value, 8) & 0o002:
                problems.append(f"{where}: world-writable MODE {value}")
        if key == "GROUP" and value != "dialout":
            problems.append(f"{where}: GROUP={value!r}, must be dialout")
        if key == "OWNER":
            problems.append(f"{where}: OWNER is not used by caldaq rules")
        if key == "SYMLINK" and op != "==" and op != "!=":
            if op != "+=":
                problems.append(f"{where}: SYMLINK{op} replaces the other names; use +=")
            if not value.startswith("caldaq/"):
                problems.append(f"{where}: SYMLINK outside /dev/caldaq: {value}")
    if example and any(k == "SYMLINK" for k in keys):
        for need in ("GROUP", "MODE", "SUBSYSTEM"):
            if need not in keys:
                problems.append(f"{where}: example rule without {need}")
    return keys

n_rules = n_examples = 0
labels, gotos = set(), []
text = open(rules_path, encoding="utf-8").read()
if "0666" in text:
    problems.append(f"{rules_path}: mentions 0666")
for no, raw in enumerate(text.splitlines(), 1):
    line = raw.strip()
    where = f"{rules_path}:{no}"
    if raw.endswith("\\"):
        problems.append(f"{where}: line continuation (keep a rule on one line)")
    if not line:
        continue
    if line.startswith("#"):
        body = line.lstrip("#").strip()
        if RULE_START.match(body) and ("==" in body):
            check_rule(where + " (example)", body, True)
            n_examples += 1
        continue
    keys = check_rule(where, line, False)
    n_rules += 1
    for op, v in keys.get("LABEL", []):
        labels.add(v)
    for op, v in keys.get("GOTO", []):
        gotos.append((where, v))
for where, v in gotos:
    if v not in labels:
        problems.append(f"{where}: GOTO {v!r} has no LABEL")
if not re.search(r'^GROUP="dialout", MODE="0660"', text, re.M):
    problems.append(f"{rules_path}: no GROUP=\"dialout\", MODE=\"0660\" rule")

# Every adapter the rules promise (udev/README, section 5).
ids = {"0403": "6001|6010|6011|6014|6015", "067b": "2303|23a3",
       "1a86": "7523|5523", "10c4": "ea60|ea70"}
for vid, pids in ids.items():
    m = re.search(rf'ENV\{{ID_VENDOR_ID\}}=="{vid}", ENV\{{ID_MODEL_ID\}}=="([^"]*)"', text)
    if not m:
        problems.append(f"{rules_path}: vendor {vid} missing")
        continue
    have = set(m.group(1).split("|"))
    for pid in pids.split("|"):
        if pid not in have:
            problems.append(f"{rules_path}: {vid}:{pid} missing")

# The rules shown in the README (indented lines that start with a key).
for no, raw in enumerate(open(readme_path, encoding="utf-8"), 1):
    body = raw.strip()
    if raw.startswith("    ") and RULE_START.match(body) and "SYMLINK" in body:
        check_rule(f"{readme_path}:{no}", body, True)
        n_examples += 1

if problems:
    print("\n".join(problems))
    sys.exit(1)
print(f"  udev lint: {n_rules} rules, {n_examples} example rules ok")
EOF

echo "ports.sh: ok"
