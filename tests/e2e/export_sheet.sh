#!/usr/bin/env bash
# End to end (issue 20): `caldaq export --excel` and `--results`. A run made
# by the demo (complete, with results) is exported for a spreadsheet and
# read back with Python's csv module as a spreadsheet would: a UTF-8 byte
# order mark, ";" between fields, CRLF line ends, a decimal comma; every
# number equals the one in `caldaq export --json` (the readings) or in the
# stored results (the results table); times are local date-time in the
# lab's zone (Asia/Ho_Chi_Minh by default, Europe/Berlin from a LAB.yaml).
# --results --csv is the plain form of the table. Usage errors exit 2.
source "$(dirname "$0")/common.bash"
mkdir "$tmp/scratch"
(cd "$tmp" && TMPDIR=$tmp/scratch "$CALDAQ" demo --out runs --lang en) > "$tmp/demo.out" 2>&1 \
    || { cat "$tmp/demo.out" >&2; fail "the demo did not complete"; }
run=$(ls "$tmp"/runs/*.h5)
"$CALDAQ" export "$run" --json > "$tmp/run.json"
"$CALDAQ" export "$run" --excel > "$tmp/readings.csv"
"$CALDAQ" export "$run" --excel --results > "$tmp/results.csv"
"$CALDAQ" export "$run" --csv --results > "$tmp/results-plain.csv"
sed -e 's|^signing_key: .*|signing_key: lab.key\ntime_zone: Europe/Berlin|' examples/lab-example.yaml \
    > "$tmp/berlin.yaml"
"$CALDAQ" export "$run" --excel --lab "$tmp/berlin.yaml" > "$tmp/berlin.csv"

"$PY" - "$tmp" <<'PY' || fail "the spreadsheet forms do not read back"
import csv, datetime, json, sys, zoneinfo
tmp = sys.argv[1]
doc = json.load(open(f"{tmp}/run.json", encoding="utf-8"))
readings = doc["readings"]
results = json.loads(doc["results"][-1]["json"]) if isinstance(doc["results"][-1]["json"], str) \
    else doc["results"][-1]["json"]

def sheet(name):
    raw = open(f"{tmp}/{name}", "rb").read()
    assert raw.startswith(b"\xef\xbb\xbf"), f"{name}: no byte order mark"
    assert raw.count(b"\r\n") == raw.count(b"\n"), f"{name}: not CRLF line ends"
    text = raw[3:].decode("utf-8")
    return list(csv.DictReader(text.splitlines(), delimiter=";"))

def comma(x):            # a spreadsheet's decimal comma
    return float(x.replace(",", ".")) if x != "" else None

rows = sheet("readings.csv")
assert len(rows) == len(readings) > 0, (len(rows), len(readings))
hcm = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
for row, r in zip(rows, readings):
    assert "." not in row["value"] or row["value"] == "", row["value"]
    assert comma(row["value"]) == r["value"], (row["value"], r["value"])
    assert comma(row["nominal"]) == r["nominal"]
    assert row["unit"] == r["unit"] and row["status"] == r["status"] and row["display"] == r["display"]
    local = datetime.datetime.fromtimestamp(int(r["t"] // 1), hcm).strftime("%Y-%m-%d %H:%M:%S")
    assert row["time"] == local, (row["time"], local)
berlin = sheet("berlin.csv")
tz = zoneinfo.ZoneInfo("Europe/Berlin")
local = datetime.datetime.fromtimestamp(int(readings[0]["t"] // 1), tz).strftime("%Y-%m-%d %H:%M:%S")
assert berlin[0]["time"] == local, (berlin[0]["time"], local)

table = sheet("results.csv")
points = results["points"]
assert len(table) == len(points) > 0
for row, p in zip(table, points):
    for col, key in (("nominal", "nominal"), ("indication", "mean"), ("reference", "reference"),
                     ("error", "error"), ("U", "U"), ("k", "k"), ("mpe", "mpe")):
        want = p.get(key)
        assert comma(row[col]) == want, (col, row[col], want)
    assert row["verdict"] == p["verdict"] and row["unit"] == results["unit"]
plain = list(csv.DictReader(open(f"{tmp}/results-plain.csv", encoding="utf-8", newline="")))
assert [float(r["U"]) for r in plain] == [p["U"] for p in points]
print(f"  --excel: {len(rows)} readings, --results: {len(table)} points, read back equal; "
      f"times in Asia/Ho_Chi_Minh and Europe/Berlin")
PY

# usage errors
for args in "--excel --json" "--json --results" "--csv --lab $tmp/berlin.yaml" ""; do
    set +e
    # shellcheck disable=SC2086
    "$CALDAQ" export "$run" $args > /dev/null 2> "$tmp/usage.err"
    rc=$?
    set -e
    [ "$rc" -eq 2 ] || fail "export $args: status $rc, not 2"
done
# a run without results yet: said, exit 1
set +e
"$CALDAQ" export tests/fixtures/runs/killed-in-point-1.h5 --excel --results > /dev/null 2> "$tmp/nores.err"
rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q "holds no results yet" "$tmp/nores.err" || { cat "$tmp/nores.err" >&2; fail "no results: status $rc"; }
echo "export_sheet.sh: ok"
