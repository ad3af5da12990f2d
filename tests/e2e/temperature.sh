#!/usr/bin/env bash
# End to end (issue 19): a complete temperature calibration by comparison,
# profiles/temperature-comparison-bath.yaml, both sides read by instruments:
# the item's indicator on the fluke-ttr simulator, the reference readout on
# the fluke-1529 simulator, each presented the bath's temperature at every
# point. The run completes and verifies; the budget of every point is
# recomputed here from the run's readings (h5py) and the register, line by
# line as the profile states it, and must give the error and U the analysis
# stored; the calibration certificate is issued, its DCC XML valid against
# PTB's schema with °C as \degreecelsius, and `caldaq verify` passes.
source "$(dirname "$0")/common.bash"
show() { echo "--- $1" >&2; cat "$1" >&2; }
: "${REFERENCE_DIR:=../shared/reference}"
PROFILE=profiles/temperature-comparison-bath.yaml
sed -e 's/due: 20[0-9][0-9]-/due: 2099-/' profiles/standards/example-lab.yaml > "$tmp/reg.yaml"

sim() { # sim NAME DRIVER SEED NOISE
    "$CALDAQ" sim "$2" --port-link "$tmp/$1" --control "$tmp/$1.ctl" --advance 0 --settle 0 \
        --loads 20 --noise "$4" --seed "$3" </dev/null >"$tmp/$1.out" 2>&1 &
    pids+=($!)
    wait_for "$tmp/$1"
    wait_for "$tmp/$1.ctl"
}
sim item fluke-ttr 4 0.002
sim ref fluke-1529 6 0.001
WINDOW=(stable_n=2 stable_s=0.01)
mkdir -p "$tmp/runs"
"$CALDAQ" session --profile "$PROFILE" --standards "$tmp/reg.yaml" --port "$tmp/item" \
    --set "${WINDOW[0]}" --set "${WINDOW[1]}" --sim-control "$tmp/item.ctl" \
    --ref-port "$tmp/ref" --ref-set "${WINDOW[0]}" --ref-set "${WINDOW[1]}" \
    --ref-sim-control "$tmp/ref.ctl" --batch --out "$tmp/runs" --env 21,45 \
    > "$tmp/session.out" 2>&1 || { show "$tmp/session.out"; fail "the temperature calibration did not complete"; }
run=$(ls "$tmp"/runs/*.h5)
"$CALDAQ" verify "$run" > /dev/null || fail "the run does not verify"

# The budget, recomputed: E = mean(item) - (mean(reference) + certificate
# correction); u^2 = s^2/n + (d/2)^2/3 + u_ref^2 + the rectangular half-widths
# of the profile's constants squared over 3; U = 2 u.
"$PY" - "$run" "$tmp/reg.yaml" <<'PY' || fail "the budget recomputed here differs from the analysis"
import json, math, re, sys, h5py
def s(x): return x.decode() if isinstance(x, bytes) else str(x)
f = h5py.File(sys.argv[1], "r")
res = json.loads(f["results"]["v1"][()])
rd = [r for r in f["readings"][...] if s(r["status"]) == "stable"]
reg = open(sys.argv[2], encoding="utf-8").read()
block = reg[reg.index("- id: T-REF-02"):]
items = {float(m.group(1)): (float(m.group(2)), float(m.group(3)))
         for m in re.finditer(r"nominal: (\d+), unit: \"°C\", value: ([\d.]+), U: ([\d.]+)", block)}
halfwidths = [0.002, 0.006, 0.004, 0.005, 0.008, 0.004]   # self-heating, drift, readout,
                                                           # stability, uniformity, immersion
d = 0.001
assert len(res["points"]) == 4
for i, pt in enumerate(res["points"]):
    x = [float(r["value"]) for r in rd if s(r["side"]) == "item" and int(r["point"]) == i]
    y = [float(r["value"]) for r in rd if s(r["side"]) == "reference" and int(r["point"]) == i]
    assert len(x) == 5 and len(y) == 5, (len(x), len(y))
    n = len(x)
    mean = sum(x) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in x) / (n - 1))
    value, U_ref = items[pt["nominal"]]
    ref = sum(y) / len(y) + (value - pt["nominal"])
    E = mean - ref
    u2 = sd ** 2 / n + (d / 2) ** 2 / 3 + (U_ref / 2) ** 2 + sum(h * h / 3 for h in halfwidths)
    U = 2 * math.sqrt(u2)
    assert abs(E - pt["error"]) < 1e-9, (pt["nominal"], E, pt["error"])
    assert abs(U - pt["U"]) < 1e-9, (pt["nominal"], U, pt["U"])
    assert pt["verdict"] == "pass"
    print(f"  {pt['nominal']:g} °C: E = {E:+.5f} °C, U = {U:.5f} °C, the same as the analysis")
PY

# The certificate.
"$CALDAQ" cert --keygen "$tmp/lab.key" > /dev/null
sed -e "s|^signing_key: .*|signing_key: $tmp/lab.key|" examples/lab-example.yaml > "$tmp/lab.yaml"
"$CALDAQ" cert "$run" --out "$tmp/cert" --lab "$tmp/lab.yaml" --item-serial PRT-0042 \
    --number VD-HC-2026-T1 > "$tmp/cert.out" 2>&1 || { show "$tmp/cert.out"; fail "no certificate"; }
XML_CATALOG_FILES="$REFERENCE_DIR/dcc/catalog.xml" xmllint --nonet --noout \
    --schema "$REFERENCE_DIR/dcc/dcc.xsd" "$tmp/cert/VD-HC-2026-T1.xml" 2> "$tmp/xmllint" \
    || { show "$tmp/xmllint"; fail "the DCC of the temperature calibration is not valid"; }
grep -q '\\degreecelsius' "$tmp/cert/VD-HC-2026-T1.xml" || fail "the DCC does not say \\degreecelsius"
"$CALDAQ" verify "$tmp/cert" --pub "$tmp/lab.key.pub" > /dev/null || fail "caldaq verify fails on the certificate"
echo "temperature.sh: ok"
