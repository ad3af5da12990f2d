#!/usr/bin/env bash
# End to end: profiles and analysis. `caldaq profile check` on the shipped
# profiles and a broken one; `caldaq acquire --profile` walks a plan against
# the simulators (balance on MT-SICS, pressure gauge on Modbus RTU, DMM on
# SCPI) and records the reference standards; `caldaq analyze` computes the
# results, read back independently with Python; --write stores versions
# that verify; a revised certificate (--standards) moves the error by
# exactly the change of the reference; an expired standard is refused
# before a run file exists.
source "$(dirname "$0")/common.bash"

# --- caldaq profile check -------------------------------------------------
# The dates pinned here are those of the example register as shipped until
# issue 20 (the shipped one now follows today: standards.sh).
FIXED=tests/fixtures/standards/example-lab-fixed-dates.yaml
for p in profiles/*.yaml; do
    [ "$p" = profiles/verification-cycles.yaml ] && continue   # the cycles table, not a profile
    "$CALDAQ" profile check "$p" --standards "$FIXED" --on 2026-01-15 > "$tmp/check.out" || fail "$p does not check"
    grep -q ": ok$" "$tmp/check.out" || fail "$p: no ok line"
done
"$CALDAQ" profile check profiles/pressure-dkd-r6-1.yaml --standards "$FIXED" --on 2026-01-15 > "$tmp/p.out"
grep -q "series 2 down: 20 17.5 15 12.5 10 7.5 5 2.5 0 bar" "$tmp/p.out" || fail "pressure plan"
grep -q "P-REF-01, certificate VD-AS-2025-0177" "$tmp/p.out" || fail "pressure standard"
"$CALDAQ" profile check profiles/dmm-dcv-6half.yaml --standards "$FIXED" --json --on 2026-01-15 > "$tmp/dmm.json"
"$PY" - "$tmp/dmm.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
assert d["ok"] and d["family"] == "dmm" and len(d["points"]) == 13, d
assert [p["range"] for p in d["points"][:3]] == [0.1, 0.1, 0.1], d["points"][:3]
assert d["decision_rule"] == "guard-band"
PY
# The example register's E2 set was due on 2026-03-10: refused after it,
# naming the profile's line and the certificate.
set +e
"$CALDAQ" profile check profiles/balance-cg18-class-ii.yaml --standards "$FIXED" --on 2026-03-11 2> "$tmp/late.err"
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "an expired standard passed profile check (status $rc)"
grep -q "balance-cg18-class-ii.yaml:30: reference W-E2-01 (certificate VD-KL-2025-0412) was due for calibration on 2026-03-10" "$tmp/late.err" \
    || { cat "$tmp/late.err" >&2; fail "expired message"; }
# A broken profile: file:line on stderr, nothing on stdout, status 1.
printf 'caldaq_profile: 1\nname: x\ntitle: {en: a, vi: b}\nmethod: m\nfamily: balance\ninstrument:\n  unit: g\n  resolution: -0.1\n' > "$tmp/bad.yaml"
set +e
"$CALDAQ" profile check "$tmp/bad.yaml" > "$tmp/bad.out" 2> "$tmp/bad.err"
rc=$?
set -e
[ "$rc" -eq 1 ] && [ ! -s "$tmp/bad.out" ] || fail "bad profile: status $rc"
grep -q "bad.yaml:8: instrument: resolution = -0.1 must be positive" "$tmp/bad.err" \
    || { cat "$tmp/bad.err" >&2; fail "bad profile message"; }

# A register whose standards are in date whenever the test runs.
sed -e 's/due: 20[0-9][0-9]-/due: 2099-/' tests/fixtures/standards/example-lab-fixed-dates.yaml > "$tmp/reg.yaml"

# --- balance class II on MT-SICS ------------------------------------------
"$CALDAQ" sim mtsics --port-link "$tmp/bal" --loads 0 --noise 0.0004 --resolution 0.001 \
    --advance 0 --settle 0 --seed 3 --control "$tmp/ctl" </dev/null >/dev/null 2>&1 &
pids+=($!)
wait_for "$tmp/bal"; wait_for "$tmp/ctl"
mkdir "$tmp/bal-runs"
"$CALDAQ" acquire --driver mtsics --port "$tmp/bal" --profile profiles/balance-cg18-class-ii.yaml \
    --standards "$tmp/reg.yaml" --sim-control "$tmp/ctl" --env 21.5,50 --out "$tmp/bal-runs" \
    > "$tmp/acq.out"
grep -q "(complete)" "$tmp/acq.out" || fail "balance acquisition"
run=$(ls "$tmp"/bal-runs/*.h5)
"$CALDAQ" analyze "$run" > "$tmp/an.txt"
grep -q "^verdict: " "$tmp/an.txt" || fail "no verdict line"
"$CALDAQ" analyze "$run" --json > "$tmp/an.json"
"$PY" - "$run" "$tmp/an.json" <<'PY'
import json, math, statistics, sys, h5py
run, doc = sys.argv[1], json.load(open(sys.argv[2]))
assert doc["schema"] == "caldaq-analysis/1" and doc["profile"] == "balance-cg18-class-ii"
with h5py.File(run, "r") as f:
    rd = f["readings"][...]
    st = f["standards"][...]
cert = {(float(s["nominal"]), s["mark"].decode()): float(s["value"]) for s in st}
assert cert[(100.0, "")] == 100.00003, cert
# repeatability: the six readings of point 0, recomputed here
rep = [float(r["value"]) for r in rd if r["point"] == 0]
assert len(rep) == 6 and abs(doc["repeatability"]["s"] - statistics.stdev(rep)) < 1e-12
# each error point: mean indication minus the sum of the certified pieces
pieces = {0: [], 20: [20], 50: [50], 100: [100], 150: [100, 50], 200: [200], 220: [200, 20]}
assert [p["nominal"] for p in doc["points"]] == list(pieces)
for p in doc["points"]:
    vals = [float(r["value"]) for r in rd
            if r["role"].decode() == "error-up" and float(r["nominal"]) == p["nominal"]]
    ref = sum(cert[(w, "")] for w in pieces[int(p["nominal"])])
    assert abs(p["error"] - (statistics.mean(vals) - ref)) < 1e-9, (p, vals, ref)
    assert p["U"] > 0 and abs(p["U"] - p["k"] * p["u"]) < 1e-12, p
    assert p["verdict"] in ("pass", "fail")
    shares = sum(b["share"] for b in p["budget"])
    assert abs(shares - 1) < 1e-9, shares
assert doc["environment"]["temp_c"] == 21.5
print(f"  balance: {len(doc['points'])} points recomputed from the run with h5py, verdict {doc['verdict']}")
PY

# --write: results v1 then v2, audit entries, the run still verifies.
"$CALDAQ" analyze "$run" --write --operator "Trần Thị B" > "$tmp/w1.out"
grep -q "stored in .* as results v1" "$tmp/w1.out" || fail "results v1"
"$CALDAQ" analyze "$run" --write --json > "$tmp/w2.json"
"$PY" -c 'import json,sys; assert json.load(open(sys.argv[1]))["results_version"] == 2' "$tmp/w2.json"
"$CALDAQ" verify "$run" > /dev/null || fail "run does not verify after --write"
"$CALDAQ" show "$run" > "$tmp/show.txt"
grep -q "Trần Thị B: analysis stored as results v1" "$tmp/show.txt" || fail "audit entry"

# A revised certificate: the 100 g piece is 0.000100 g heavier. The error at
# 100 g and at 150 g (100 + 50) drop by exactly that; 200 g does not move.
sed -e 's/value: 100.000030/value: 100.000130/' "$tmp/reg.yaml" > "$tmp/revised.yaml"
"$CALDAQ" analyze "$run" --standards "$tmp/revised.yaml" --json > "$tmp/rev.json"
"$PY" - "$tmp/an.json" "$tmp/rev.json" <<'PY'
import json, sys
old, new = (json.load(open(p)) for p in sys.argv[1:3])
delta = {o["nominal"]: n["error"] - o["error"] for o, n in zip(old["points"], new["points"])}
assert abs(delta[100] + 0.0001) < 1e-12 and abs(delta[150] + 0.0001) < 1e-12, delta
assert delta[200] == 0 and delta[20] == 0, delta
assert new["standards_source"].endswith("revised.yaml")
PY

# An expired standard: refused before any run file is made.
mkdir "$tmp/late-runs"
set +e
"$CALDAQ" acquire --driver mtsics --port "$tmp/bal" --profile profiles/balance-cg18-class-ii.yaml \
    --standards tests/fixtures/standards/example-lab-fixed-dates.yaml --out "$tmp/late-runs" 2> "$tmp/acq-late.err" >/dev/null
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "acquire accepted an expired reference (status $rc)"
grep -q "W-E2-01 (certificate VD-KL-2025-0412) was due for calibration on 2026-03-10" "$tmp/acq-late.err" \
    || { cat "$tmp/acq-late.err" >&2; fail "expired reference message"; }
[ -z "$(ls "$tmp/late-runs")" ] || fail "a run file was made with an expired reference"

# A run recorded without a profile cannot be analysed by accident.
mkdir "$tmp/plain"
"$CALDAQ" acquire --driver mtsics --port "$tmp/bal" --points 0,100 --repeat 1 --out "$tmp/plain" >/dev/null
set +e
"$CALDAQ" analyze "$(ls "$tmp"/plain/*.h5)" 2> "$tmp/plain.err"; rc1=$?
"$CALDAQ" analyze "$(ls "$tmp"/plain/*.h5)" --profile profiles/balance-cg18-class-ii.yaml 2> "$tmp/plain2.err"; rc2=$?
set -e
[ "$rc1" -eq 1 ] && grep -q "give one with --profile" "$tmp/plain.err" || fail "plain run, stored profile"
[ "$rc2" -eq 1 ] && grep -q "not recorded with this profile" "$tmp/plain2.err" || fail "plain run, other profile"

# --- pressure gauge on Modbus RTU (KELLER map), up-down-up ----------------
"$CALDAQ" sim modbus --port-link "$tmp/gauge" --loads 0 --noise 0.0003 --capacity 25 --advance 0 --settle 0 \
    --seed 5 --control "$tmp/gctl" </dev/null >/dev/null 2>&1 &
pids+=($!)
wait_for "$tmp/gauge"; wait_for "$tmp/gctl"
mkdir "$tmp/p-runs"
"$CALDAQ" acquire --driver modbus --port "$tmp/gauge" --set preset=keller \
    --profile profiles/pressure-dkd-r6-1.yaml --standards "$tmp/reg.yaml" \
    --sim-control "$tmp/gctl" --out "$tmp/p-runs" > /dev/null
"$CALDAQ" analyze "$(ls "$tmp"/p-runs/*.h5)" --json > "$tmp/p.json"
"$PY" - "$(ls "$tmp"/p-runs/*.h5)" "$tmp/p.json" <<'PY'
import json, statistics, sys, h5py
run, doc = sys.argv[1], json.load(open(sys.argv[2]))
with h5py.File(run, "r") as f:
    rd = f["readings"][...]
assert doc["complete"] and len(doc["points"]) == 9 and all(p["n"] == 3 for p in doc["points"]), doc["points"]
for p in doc["points"]:
    by = {}
    for r in rd:
        if float(r["nominal"]) == p["nominal"]:
            by.setdefault(r["role"].decode(), []).append(float(r["value"]))
    up, down = by["error-up"], by["error-down"]
    st = p["statistics"]
    assert abs(st["hysteresis"] - abs(down[0] - up[0])) < 1e-12, (st, up, down)
    assert abs(st["b_rep"] - abs(up[1] - up[0])) < 1e-12, (st, up)
    assert p["k"] == 2 and p["nu_eff"] is None or p["nu_eff"] > 0
print(f"  pressure: 9 points x 3 series, hysteresis and repeatability recomputed, verdict {doc['verdict']}")
PY

# --- DMM on SCPI, four ranges, guard band ---------------------------------
"$CALDAQ" sim scpi --port-link "$tmp/dmm" --loads 0 --noise 0.000002 --advance 0 --settle 0 \
    --seed 7 --control "$tmp/dctl" </dev/null >/dev/null 2>&1 &
pids+=($!)
wait_for "$tmp/dmm"; wait_for "$tmp/dctl"
mkdir "$tmp/d-runs"
"$CALDAQ" acquire --driver scpi --port "$tmp/dmm" --profile profiles/dmm-dcv-6half.yaml \
    --standards "$tmp/reg.yaml" --sim-control "$tmp/dctl" --out "$tmp/d-runs" > /dev/null
"$CALDAQ" analyze "$(ls "$tmp"/d-runs/*.h5)" --json > "$tmp/d.json"
"$PY" - "$tmp/d.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
assert len(doc["points"]) == 13 and doc["decision_rule"]["rule"] == "guard-band"
ten = [p for p in doc["points"] if p.get("range") == 10 and p["nominal"] == 10][0]
assert abs(ten["mpe"] - 0.0004) < 1e-12, ten["mpe"]       # 0.0035 % of 10 V + 0.0005 % of 10 V
cal = [b for b in ten["budget"] if b["name"] == "V_cal"][0]
assert abs(cal["u"] - (4e-6 * 10 + 2.5e-6) / 3 ** 0.5) < 1e-15, cal
print(f"  dmm: 13 points on 4 ranges, verdict {doc['verdict']}")
PY
echo "analyze.sh: ok"
