#!/usr/bin/env bash
# End to end: `caldaq replay` reproduces recorded sessions exactly. Every
# trace in tests/traces/ (batch sessions against the simulators, made by
# tools/record-session-traces: balance class II on MT-SICS, SBI and A&D and
# on the streaming Toledo and XK3190 indicators, DMM on SCPI, pressure on
# Modbus RTU and TCP) is replayed with the command in
# its NAME.cmd; the new run must be complete and intact, say to the
# instrument exactly what the trace recorded, hold the recorded readings
# (same count, points, repetitions, roles, nominals, statuses, units,
# errors; display strings byte for byte; values and resolutions bit for
# bit) and store the recorded results v1 (every JSON value equal, numbers
# compared as parsed with ==, ints and floats not mixed; the text equal but
# for run_id). Then the check has teeth: a recorded value or result one ulp
# off fails the comparison; one digit changed in an instrument reply changes
# a reading and the comparison fails, naming it; a changed host line makes
# `caldaq replay` exit 4 naming the trace line.
# Needs CALDAQ; run from the repository root (KEEP=1 keeps its temporary
# folder). To re-record the traces: tools/record-session-traces.
set -euo pipefail
: "${CALDAQ:?path of the caldaq binary}"
PY=/usr/bin/python3
traces=tests/traces
tmp=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
fail() { echo "replay.sh: $*" >&2; exit 1; }

# The recorded readings and results v1 (NAME.readings.json, NAME.results.json)
# against a run's. Fields that legitimately differ between two runs of the
# same conversation and are left out:
#   - readings t: when the reading was taken (the clock of the replay);
#   - results run_id: the random UUID of each run file (docs/run-format.md).
#     The rest of results v1 is the analysis of the readings, the profile and
#     the register, none of which may differ.
# Prints what differs and exits 1; usage: compare RUN.h5 READINGS.json RESULTS.json
compare() {
    "$PY" - "$1" "$2" "$3" <<'PY'
import json, sys, h5py
run, readings_path, results_path = sys.argv[1:4]
EXCLUDED_RESULTS = {"run_id"}
with h5py.File(run, "r") as f:
    rd = f["readings"][...]
    versions = sorted(f["results"], key=lambda k: int(k[1:]))
    text = f["results/v1"][()]
text = text if isinstance(text, bytes) else text.encode("utf-8")
want = json.load(open(readings_path, encoding="utf-8"))
problems = []
if len(rd) != len(want):
    problems.append(f"{len(rd)} readings, the recording has {len(want)}")
def s(b):
    return b.decode("utf-8")
for i, (r, w) in enumerate(zip(rd, want)):
    got = {"point": int(r["point"]), "repetition": int(r["repetition"]), "role": s(r["role"]),
           "nominal": float(r["nominal"]).hex(), "status": s(r["status"]),
           "display": s(r["display"]), "unit": s(r["unit"]), "value": float(r["value"]).hex(),
           "resolution": float(r["resolution"]).hex(), "error": s(r["error"])}
    if set(got) != set(w):
        sys.exit(f"{readings_path}: reading {i}: fields {sorted(w)}")
    for k in got:
        if got[k] != w[k]:
            problems.append(f"reading {i} (point {got['point']}): {k} {got[k]!r}, recorded {w[k]!r}")
if versions != ["v1"]:
    problems.append(f"results versions {versions}, expected only v1")

def same(a, b, path):
    """Equal values of the same JSON type; numbers with ==; every difference named."""
    if type(a) is not type(b):
        problems.append(f"results {path}: {a!r} ({type(a).__name__}), recorded {b!r} ({type(b).__name__})")
    elif isinstance(a, dict):
        if list(a) != list(b):
            problems.append(f"results {path}: keys {list(a)}, recorded {list(b)}")
        for k in a:
            if k in b and not (path == "" and k in EXCLUDED_RESULTS):
                same(a[k], b[k], f"{path}/{k}")
    elif isinstance(a, list):
        if len(a) != len(b):
            problems.append(f"results {path}: {len(a)} items, recorded {len(b)}")
        for i, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{path}/{i}")
    elif a != b:
        problems.append(f"results {path}: {a!r}, recorded {b!r}")

recorded_text = open(results_path, "rb").read()
new, old = json.loads(text), json.loads(recorded_text)
for k in EXCLUDED_RESULTS:
    if k not in new or k not in old:
        problems.append(f"results: no {k}")
same(new, old, "")
# The same, as text: the stored JSON differs only on the run_id line.
def without_run_id(t, doc):
    return t.replace(json.dumps(doc.get("run_id")).encode(), b'"RUN_ID"')
if not problems and without_run_id(text, new) != without_run_id(recorded_text, old):
    problems.append("results v1: the JSON values agree but the text differs")
if problems:
    print(f"{len(problems)} differences, the first:", *problems[:8], sep="\n  ", file=sys.stderr)
    sys.exit(1)
print(f"{len(rd)} readings, results v1 identical")
PY
}

# The new run's conversation (caldaq trace) against the trace: the same
# records, direction and bytes (the times are the replay's).
same_conversation() {
    "$PY" - "$1" "$2" <<'PY'
import sys
def records(path):
    out = []
    for line in open(path, encoding="ascii"):
        if line.startswith("#") or not line.strip():
            continue
        t, d, payload = line.rstrip("\n").split(" ", 2)
        out.append((d, payload))
    return out
a, b = records(sys.argv[1]), records(sys.argv[2])
for i, (x, y) in enumerate(zip(a, b)):
    if x != y:
        sys.exit(f"conversation record {i + 1}: {x}, the trace has {y}")
if len(a) != len(b):
    sys.exit(f"conversation: {len(a)} records, the trace has {len(b)}")
PY
}

# replay NAME TRACE DIR: the command of NAME.cmd on TRACE (stdout, stderr in
# DIR.out, DIR.err); its exit status.
replay() {
    local name=$1 trace=$2 dir=$3
    read -ra cmd < "$traces/$name.cmd"
    if [ "${cmd[0]}" != caldaq ] || [ "${cmd[1]}" != replay ] || [ "${cmd[2]}" != "$traces/$name.trace" ] ||
        [ "${cmd[-2]}" != --out ] || [ "${cmd[-1]}" != DIR ]; then
        fail "$name.cmd: not 'caldaq replay $traces/$name.trace ... --out DIR'"
    fi
    cmd[0]=$CALDAQ cmd[2]=$trace cmd[-1]=$dir
    mkdir "$dir"
    local rc=0
    "${cmd[@]}" > "$dir.out" 2> "$dir.err" || rc=$?
    return "$rc"
}

names=()
for t in "$traces"/*.trace; do names+=("$(basename "$t" .trace)"); done
[ "${#names[@]}" -ge 6 ] || fail "only ${#names[@]} traces in $traces"
for name in "${names[@]}"; do
    for f in cmd readings.json results.json; do
        [ -s "$traces/$name.$f" ] || fail "no $traces/$name.$f"
    done
    rc=0
    replay "$name" "$traces/$name.trace" "$tmp/$name" || rc=$?
    [ "$rc" -eq 0 ] || { cat "$tmp/$name.err" "$tmp/$name.out" >&2; fail "$name: caldaq replay exit $rc"; }
    made=("$tmp/$name"/*)
    if [ "${#made[@]}" -ne 1 ] || [[ ${made[0]} != *.h5 ]]; then
        fail "$name: not one run file in the output folder: ${made[*]}"
    fi
    run=${made[0]}
    "$CALDAQ" verify "$run" > /dev/null || fail "$name: the replayed run does not verify"
    "$CALDAQ" show "$run" > "$tmp/$name.show"
    grep -q "^status     complete$" "$tmp/$name.show" || fail "$name: the replayed run is not complete"
    "$CALDAQ" trace "$run" --out "$tmp/$name.again.trace"
    same_conversation "$tmp/$name.again.trace" "$traces/$name.trace" || fail "$name: conversation"
    printf '  %-20s ' "$name:"
    compare "$run" "$traces/$name.readings.json" "$traces/$name.results.json" \
        || fail "$name: the replay does not reproduce the recorded session"
done

# The comparison sees the last bit: the recorded files with one reading's
# value, then one number of the results, moved by one ulp, against the
# replayed MT-SICS run.
"$PY" - "$traces/balance-mtsics.readings.json" "$traces/balance-mtsics.results.json" "$tmp" <<'PY'
import json, math, re, sys
readings, results, tmp = sys.argv[1:4]
rows = json.load(open(readings, encoding="utf-8"))
i = next(i for i, r in enumerate(rows) if r["status"] == "stable" and r["point"] == 7)
rows[i]["value"] = math.nextafter(float.fromhex(rows[i]["value"]), math.inf).hex()
json.dump(rows, open(f"{tmp}/ulp.readings.json", "w", encoding="utf-8"))
text = open(results, encoding="utf-8").read()
m = re.search(r'"U": ([-+0-9.eE]+)', text)            # the first point's U
ulp = repr(math.nextafter(float(m.group(1)), math.inf))
open(f"{tmp}/ulp.results.json", "w", encoding="utf-8").write(text[:m.start(1)] + ulp + text[m.end(1):])
PY
mt=("$tmp"/balance-mtsics/*.h5)
compare "${mt[0]}" "$tmp/ulp.readings.json" "$traces/balance-mtsics.results.json" > /dev/null 2> "$tmp/ulp1.err" \
    && fail "a value one ulp off went unnoticed"
grep -q "reading [0-9]* (point 7): value" "$tmp/ulp1.err" || { cat "$tmp/ulp1.err" >&2; fail "a value one ulp off: not named"; }
compare "${mt[0]}" "$traces/balance-mtsics.readings.json" "$tmp/ulp.results.json" > /dev/null 2> "$tmp/ulp2.err" \
    && fail "a result one ulp off went unnoticed"
grep -q "results /points/0/U: " "$tmp/ulp2.err" || { cat "$tmp/ulp2.err" >&2; fail "a result one ulp off: not named"; }
echo "  one ulp off in the recorded files:$(sed -n 2p "$tmp/ulp1.err");$(sed -n 2p "$tmp/ulp2.err")"

# Teeth 1: one digit of one instrument reply changed (a stable repeatability
# reading of the MT-SICS balance). The host says the same, so the replay
# completes, but with another reading, and the comparison fails naming it.
"$PY" - "$traces/balance-mtsics.trace" "$tmp/digit.trace" > "$tmp/digit.line" <<'PY'
import re, sys
lines = open(sys.argv[1], encoding="ascii").read().split("\n")
for i, line in enumerate(lines):
    m = re.match(r'^([0-9.]+ < "S S +[0-9.]*)([0-9])( g\\r\\n")$', line)
    if m:
        lines[i] = m.group(1) + str((int(m.group(2)) + 1) % 10) + m.group(3)
        break
else:
    sys.exit("no stable MT-SICS reading in the trace")
open(sys.argv[2], "w", encoding="ascii").write("\n".join(lines))
print(i + 1)
PY
rc=0
replay balance-mtsics "$tmp/digit.trace" "$tmp/digit" || rc=$?
[ "$rc" -eq 0 ] || { cat "$tmp/digit.err" >&2; fail "a changed reply digit: caldaq replay exit $rc"; }
digit=("$tmp"/digit/*.h5)
if compare "${digit[0]}" "$traces/balance-mtsics.readings.json" \
    "$traces/balance-mtsics.results.json" > /dev/null 2> "$tmp/digit.cmp"; then
    fail "a reply changed in trace line $(cat "$tmp/digit.line") went unnoticed"
fi
grep -q "reading [0-9]* (point 0): display '[0-9.]*', recorded '[0-9.]*'" "$tmp/digit.cmp" \
    || { cat "$tmp/digit.cmp" >&2; fail "a changed reply: no display difference named"; }
grep -q "reading [0-9]* (point 0): value " "$tmp/digit.cmp" || fail "a changed reply: no value difference"
echo "  a changed reply digit (trace line $(cat "$tmp/digit.line")): $(head -1 "$tmp/digit.cmp")$(sed -n 2p "$tmp/digit.cmp")"

# Teeth 2: a host line changed (the A&D balance's 5th command): the session
# says something else than the trace, the replay stops with status 4 and
# names the trace line.
"$PY" - "$traces/balance-aandd.trace" "$tmp/host.trace" > "$tmp/host.line" <<'PY'
import sys
lines = open(sys.argv[1], encoding="ascii").read().split("\n")
hosts = [i for i, l in enumerate(lines) if " > " in l]
i = hosts[4]
t, d, payload = lines[i].split(" ", 2)
assert payload.startswith('"') and payload[1] in "QS", payload
lines[i] = f'{t} > "{"S" if payload[1] == "Q" else "Q"}{payload[2:]}'
open(sys.argv[2], "w", encoding="ascii").write("\n".join(lines))
print(i + 1)
PY
line=$(cat "$tmp/host.line")
rc=0
replay balance-aandd "$tmp/host.trace" "$tmp/host" || rc=$?
[ "$rc" -eq 4 ] || { cat "$tmp/host.err" >&2; fail "a changed host line: caldaq replay exit $rc, not 4"; }
grep -q "trace line $line\b" "$tmp/host.err" "$tmp/host.out" \
    || { cat "$tmp/host.err" "$tmp/host.out" >&2; fail "a changed host line: trace line $line not named"; }
echo "  a changed host line $line: exit 4, $(grep -h -o "replay diverged at trace line $line.*" "$tmp/host.err" "$tmp/host.out" | sed -n 1p)"
echo "replay.sh: ok"
