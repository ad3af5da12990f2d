#!/usr/bin/env bash
# End to end: the commands that read run files, against a sample run and an
# independent reader.
#   - the sample comes from the run store itself: `test_run --write-sample`
#     (tests/unit/test_run.c; 5 points x 20 readings with unstable, error and
#     overload readings, a trace holding all 256 byte values, two result
#     versions, audit entries), until `caldaq acquire` can make one;
#   - caldaq show / export --csv / export --json / trace / verify on it;
#   - Debian's h5py opens the file and checks the root attributes, the readings
#     and the trace bytes against the exports, and recomputes content_sha256 and
#     the audit chain from docs/run-format.md alone;
#   - a reading changed with h5py is found by caldaq verify, which names it.
# Needs CALDAQ; TEST_RUN defaults to the test_run beside it (build/tests/).
set -euo pipefail
: "${CALDAQ:?path of the caldaq binary}"
TEST_RUN=${TEST_RUN:-$(dirname "$CALDAQ")/tests/test_run}
PY=/usr/bin/python3
[ -x "$TEST_RUN" ] || { echo "runfile.sh: $TEST_RUN missing: make $TEST_RUN first" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/caldaq-runfile.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "runfile.sh: FAIL: $*" >&2; exit 1; }

run=$tmp/run.h5
"$TEST_RUN" --write-sample "$run"
[ -f "$run" ] && [ -f "$run.recorded.trace" ] || fail "no sample run"
for side in journal trace tmp; do [ ! -e "$run.$side" ] || fail "$run.$side left after close"; done

# --help everywhere, usage errors exit 2, unreadable files exit 1 with stderr
for sub in show export trace verify; do
    "$CALDAQ" "$sub" --help > "$tmp/help"
    grep -q "^usage: caldaq $sub" "$tmp/help" || fail "$sub --help"
    opt=(); [ "$sub" = export ] && opt=(--csv)
    set +e
    "$CALDAQ" "$sub" "${opt[@]}" >/dev/null 2>"$tmp/err"; rc=$?
    "$CALDAQ" "$sub" "${opt[@]}" "$tmp/nope.h5" >/dev/null 2>"$tmp/err2"; rc2=$?
    set -e
    [ $rc -eq 2 ] || fail "$sub without a file: exit $rc"
    [ $rc2 -eq 1 ] && grep -q "nope.h5" "$tmp/err2" || fail "$sub on a missing file: exit $rc2"
done
set +e
"$CALDAQ" export "$run" >/dev/null 2>&1; rc=$?
"$CALDAQ" export "$run" --csv --json >/dev/null 2>&1; rc2=$?
"$CALDAQ" verify /etc/hostname >/dev/null 2>"$tmp/err"; rc3=$?
set -e
[ $rc -eq 2 ] && [ $rc2 -eq 2 ] || fail "export needs exactly one of --csv and --json"
[ $rc3 -eq 1 ] && grep -q "not an HDF5 file" "$tmp/err" || fail "verify on a text file"

"$CALDAQ" show "$run" > "$tmp/show.txt"
"$CALDAQ" export "$run" --csv > "$tmp/readings.csv"
"$CALDAQ" export "$run" --json > "$tmp/run.json"
"$CALDAQ" trace "$run" > "$tmp/run.trace"
"$CALDAQ" trace "$run" --out "$tmp/run2.trace"
cmp -s "$tmp/run.trace" "$tmp/run2.trace" || fail "trace --out differs from stdout"
"$CALDAQ" verify "$run" > "$tmp/verify.txt" ||
    fail "verify of an untouched run: $(cat "$tmp/verify.txt")"
grep -q ": intact (content sha256 [0-9a-f]\{64\}, 6 audit entries, status complete)" \
    "$tmp/verify.txt" || fail "verify says: $(cat "$tmp/verify.txt")"
"$CALDAQ" verify --json "$run" |
    "$PY" -c 'import json,sys; d=json.load(sys.stdin); assert d["intact"] and not d["findings"], d'

grep -q "^status     complete" "$tmp/show.txt" || fail "show: status"
grep -q "^integrity  intact" "$tmp/show.txt" || fail "show: integrity"
grep -q "E2-200g .*2026-12-15" "$tmp/show.txt" || fail "show: standards"
grep -Eq "^  E2-50g +VMI-2025-0142 +weights +50 +\* " "$tmp/show.txt" || fail "show: a marked piece"
grep -Eq "^  TH-03 +VMI-2025-0311 +- +- +- " "$tmp/show.txt" || fail "show: a whole standard"
grep -Eq "^ +4 load +200 +20 +18 .*1 unstable, 1 overload" "$tmp/show.txt" || fail "show: point 4"
grep -q "373 bytes in 12 records" "$tmp/show.txt" || fail "show: trace"
grep -q "reviewed the readings of point 3" "$tmp/show.txt" || fail "show: audit"

"$PY" - "$run" "$tmp" <<'PY'
import csv, hashlib, json, math, re, struct, sys
import h5py

path, tmp = sys.argv[1], sys.argv[2]
f = h5py.File(path, "r")
A = f.attrs

def fail(msg):
    sys.exit(f"runfile.sh: FAIL: {msg}")

# ---- root attributes against show and export --json
doc = json.load(open(f"{tmp}/run.json"))
show = open(f"{tmp}/show.txt", encoding="utf-8").read()
if A["schema"] != "caldaq-run/1" or doc["schema"] != "caldaq-run/1":
    fail("schema")
for key in ("run_id", "started", "ended", "status", "operator", "lab", "caldaq_version",
            "content_sha256"):
    if doc["run"][key] != A[key]:
        fail(f"export --json run.{key} {doc['run'][key]!r} != {A[key]!r}")
UUID4 = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
if not re.fullmatch(UUID4, A["run_id"]):
    fail(f"run_id {A['run_id']} is not a UUID v4")
if f"run        {A['run_id']}" not in show:
    fail("show does not print the run id")
profile = f["profile/text"][()]
if (hashlib.sha256(profile).hexdigest() != A["profile_sha256"]
        or doc["profile"]["text"].encode() != profile):
    fail("profile text or its sha256")
for key in ("driver", "port", "settings", "manufacturer", "model", "serial", "firmware"):
    if doc["device"][key] != f["device"].attrs[key]:
        fail(f"device {key}")

# ---- readings: h5py vs CSV vs JSON, exactly
R = f["readings"][:]
rows = list(csv.DictReader(open(f"{tmp}/readings.csv", newline="", encoding="utf-8")))
J = doc["readings"]
if not (len(R) == len(rows) == len(J) == 100):
    fail(f"{len(R)} readings in the file, {len(rows)} in the CSV, {len(J)} in the JSON")
if f["readings"].attrs["t_unit"] != "s since 1970-01-01T00:00:00Z":
    fail("readings t_unit")
def num(s):
    return float("nan") if s == "" else float(s)
def same(a, b):
    return (math.isnan(a) and math.isnan(b)) or a == b
for i, (h, c, j) in enumerate(zip(R, rows, J)):
    for k in ("t", "nominal", "value", "resolution"):
        jv = float("nan") if j[k] is None else j[k]
        if not (same(float(h[k]), num(c[k])) and same(float(h[k]), jv)):
            fail(f"reading {i} {k}: file {h[k]!r}, csv {c[k]!r}, json {j[k]!r}")
    for k in ("point", "repetition"):
        if not (int(h[k]) == int(c[k]) == j[k]):
            fail(f"reading {i} {k}")
    for k in ("unit", "status", "display", "role", "error"):
        hv = h[k].decode("utf-8")
        if not (hv == c[k] == j[k]):
            fail(f"reading {i} {k}: {hv!r} {c[k]!r} {j[k]!r}")
statuses = {r["status"] for r in rows}
if statuses != {"stable", "unstable", "overload", "error"}:
    fail(f"statuses {statuses}")

# ---- standards, environment, results
S = f["standards"][:]
if [s["id"] for s in doc["standards"]] != [x.decode() for x in S["id"]]:
    fail("standards ids")
if any(doc["standards"][i]["u"] != float(S["u"][i]) for i in range(len(S))):
    fail("standards u")
for i, (h, j) in enumerate(zip(S, doc["standards"])):
    jv = float("nan") if j["nominal"] is None else j["nominal"]
    if not same(float(h["nominal"]), jv) or (j["nominal"] is None) != math.isnan(h["nominal"]):
        fail(f"standard {i} nominal: file {h['nominal']!r}, json {j['nominal']!r}")
    for k in ("role", "mark"):
        if h[k].decode("utf-8") != j[k]:
            fail(f"standard {i} {k}: file {h[k]!r}, json {j[k]!r}")
if not any(math.isnan(h["nominal"]) for h in S) or not any(h["mark"] for h in S):
    fail("the sample has a whole standard (NaN nominal) and a marked piece")
E = f["environment"]
units = {k: E.attrs[k] for k in ("t_unit", "temp_c_unit", "rh_pct_unit", "p_hpa_unit")}
if units != {"t_unit": "s since 1970-01-01T00:00:00Z", "temp_c_unit": "degC",
             "rh_pct_unit": "%RH", "p_hpa_unit": "hPa"}:
    fail(f"environment units {units}")
if doc["environment"][1]["p_hpa"] is not None or not math.isnan(E[1]["p_hpa"]):
    fail("unmeasured pressure is NaN in the file and null in JSON")
versions = sorted(f["results"], key=lambda k: int(k[1:]))
if versions != ["v1", "v2"] or [r["version"] for r in doc["results"]] != [1, 2]:
    fail(f"results {versions}")
for r in doc["results"]:
    ds = f["results"][f"v{r['version']}"]
    if json.loads(ds[()]) != r["json"] or ds.attrs["engine"] != r["engine"]:
        fail(f"results v{r['version']}")

# ---- the trace: bytes + index against `caldaq trace`, and the recorder's own lines
raw = f["trace/bytes"][:].tobytes()
index = f["trace/index"][:]
def unescape(s):
    out, i = bytearray(), 0
    esc = {"r": 13, "n": 10, "t": 9, "\\": 92, '"': 34}
    while i < len(s):
        if s[i] == "\\":
            if s[i + 1] == "x":
                out.append(int(s[i + 2:i + 4], 16)); i += 4
            else:
                out.append(esc[s[i + 1]]); i += 2
        else:
            out.append(ord(s[i])); i += 1
    return bytes(out)
lines = open(f"{tmp}/run.trace", encoding="ascii").read().splitlines()
if lines[0] != "# caldaq-trace 1":
    fail("trace magic")
header = dict(l[2:].split(": ", 1) for l in lines[1:] if l.startswith("# "))
for k in ("transport", "port", "settings", "driver", "started"):
    if header.get(k) != f["trace"].attrs[k]:
        fail(f"trace header {k}: {header.get(k)!r} vs {f['trace'].attrs[k]!r}")
records = [l for l in lines if not l.startswith("#")]
if len(records) != len(index):
    fail(f"{len(records)} trace records, {len(index)} index rows")
for line, (t, d, off, n) in zip(records, index):
    tt, dd, payload = line.split(" ", 2)
    want = raw[off:off + n]
    got = payload.encode() if dd == "!" else unescape(payload[1:-1])
    if float(tt) != round(float(t), 6) or dd != d.decode() or got != want:
        fail(f"trace record {line!r} vs index {(t, d, off, n)}")
if raw[:256] != bytes(range(256)):
    fail("the 256 byte values")
recorded = [l for l in open(f"{tmp}/run.h5.recorded.trace", encoding="ascii").read().splitlines()
            if not l.startswith("#")]
if recorded != records:
    fail("caldaq trace records differ from what the recorder wrote")

# ---- content_sha256 and the audit chain from docs/run-format.md
def u64(x): return struct.pack("<Q", x)
def i64(x): return struct.pack("<q", int(x))
def f64(x):
    return u64(0x7FF8000000000000) if math.isnan(x) else struct.pack("<d", float(x))
def s(x): 
    b = x if isinstance(x, bytes) else x.encode("utf-8")
    return u64(len(b)) + b
def attr(obj, name): return s(name) + s(obj.attrs[name])
def H(b): return hashlib.sha256(b).digest()
sections = []
sections.append(("/", H(b"".join(attr(f, a) for a in (
    "schema", "run_id", "started", "ended", "status", "operator", "lab", "profile_name",
    "profile_sha256", "caldaq_version")))))
sections.append(("/profile/text", H(profile)))
sections.append(("/device", H(b"".join(attr(f["device"], a) for a in (
    "driver", "port", "settings", "manufacturer", "model", "serial", "firmware")))))
sections.append(("/standards", H(u64(len(S)) + b"".join(
    s(r["id"]) + s(r["certificate"]) + f64(r["value"]) + f64(r["u"]) + f64(r["k"]) +
    s(r["unit"]) + s(r["due_date"]) + s(r["role"]) + f64(r["nominal"]) + s(r["mark"])
    for r in S))))
Ed = E[:]
sections.append(("/environment", H(b"".join(attr(E, a) for a in (
    "t_unit", "temp_c_unit", "rh_pct_unit", "p_hpa_unit")) + u64(len(Ed)) + b"".join(
    f64(r["t"]) + f64(r["temp_c"]) + f64(r["rh_pct"]) + f64(r["p_hpa"]) + s(r["where"])
    for r in Ed))))
sections.append(("/readings", H(attr(f["readings"], "t_unit") + u64(len(R)) + b"".join(
    f64(r["t"]) + i64(r["point"]) + i64(r["repetition"]) + f64(r["nominal"]) +
    f64(r["value"]) + s(r["unit"]) + s(r["status"]) + s(r["display"]) +
    f64(r["resolution"]) + s(r["role"]) + s(r["error"]) for r in R))))
sections.append(("/trace", H(b"".join(attr(f["trace"], a) for a in (
    "transport", "port", "settings", "driver", "started")))))
sections.append(("/trace/bytes", H(raw)))
sections.append(("/trace/index", H(attr(f["trace/index"], "t_unit") + u64(len(index)) +
    b"".join(f64(t) + s(d) + u64(int(o)) + u64(int(n)) for t, d, o, n in index))))
for v in versions:
    ds = f["results"][v]
    sections.append((f"/results/{v}", H(i64(int(v[1:])) + s(ds.attrs["created"]) +
                                        s(ds.attrs["engine"]) + s(ds[()]))))
Au = f["audit"][:]
sections.append(("/audit", H(attr(f["audit"], "t_unit") + u64(len(Au)) + b"".join(
    i64(a["seq"]) + f64(a["t"]) + s(a["who"]) + s(a["what"]) + s(a["prev_sha256"]) +
    s(a["sha256"]) for a in Au))))
manifest = "".join(f"{d.hex()}  {n}\n" for n, d in sections)
if manifest != A["content_manifest"]:
    fail("content_manifest recomputed from the documentation differs:\n" + manifest +
         "\nstored:\n" + A["content_manifest"])
if hashlib.sha256(manifest.encode()).hexdigest() != A["content_sha256"]:
    fail("content_sha256 recomputed from the documentation differs")
prev = "0" * 64
for k, a in enumerate(Au, 1):
    if a["seq"] != k or a["prev_sha256"].decode() != prev:
        fail(f"audit entry {k}: seq or link")
    h = hashlib.sha256(s(a["prev_sha256"]) + i64(a["seq"]) + f64(a["t"]) + s(a["who"]) +
                       s(a["what"])).hexdigest()
    if h != a["sha256"].decode():
        fail(f"audit entry {k}: hash recomputed from the documentation differs")
    prev = h
print(f"  h5py: {len(R)} readings, {len(index)} trace records, {len(raw)} bytes, "
      f"{len(sections)} sections and {len(Au)} audit entries recomputed from the docs")
PY

# ---- a reading changed behind caldaq's back is found and named
cp "$run" "$tmp/edited.h5"
"$PY" - "$tmp/edited.h5" <<'PY'
import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:
    r = f["readings"]
    row = r[42]
    row["value"] += 0.001
    r[42] = row
PY
set +e
"$CALDAQ" verify "$tmp/edited.h5" > "$tmp/verify2.txt"; rc=$?
set -e
[ $rc -eq 1 ] || fail "verify of an edited run: exit $rc"
grep -q "NOT intact" "$tmp/verify2.txt" && grep -q "content hash mismatch: /readings changed" \
    "$tmp/verify2.txt" || fail "verify says: $(cat "$tmp/verify2.txt")"
"$CALDAQ" show "$tmp/edited.h5" > "$tmp/show2.txt"
grep -q "^integrity  NOT INTACT" "$tmp/show2.txt" || fail "show of an edited run"

# ---- h5dump reads it too (Debian hdf5-tools, which tools/install-deps installs)
command -v h5dump >/dev/null || fail "no h5dump: apt-get install hdf5-tools (tools/install-deps does)"
h5dump -a /schema "$run" > "$tmp/dump1"
h5dump -H "$run" > "$tmp/dump2"
grep -q '"caldaq-run/1"' "$tmp/dump1" || fail "h5dump /schema"
grep -q 'DATASET "readings"' "$tmp/dump2" || fail "h5dump -H"
# A run written before /standards had the item columns (role, nominal,
# mark) still verifies, and reads them as absent.
old=tests/fixtures/runs/before-standard-items.h5
"$CALDAQ" verify "$old" > "$tmp/old.verify" || fail "a run from before the item columns no longer verifies"
"$CALDAQ" export "$old" --json > "$tmp/old.json" || fail "export of the older run"
grep -q '"nominal": *null' "$tmp/old.json" || fail "older run: nominal should read as null"
echo "runfile.sh: ok"
