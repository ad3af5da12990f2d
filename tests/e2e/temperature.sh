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
source "$(dirname "$0")/bath.bash"
PROFILE=profiles/temperature-comparison-bath.yaml
bath_sim item fluke-ttr 4 0.002
bath_sim ref fluke-1529 6 0.001
bath_session "$PROFILE" "temperature calibration"

# The budget, recomputed: E = mean(item) - (mean(reference) + certificate
# correction); u^2 = s^2/n + (d/2)^2/3 + u_ref^2 + the rectangular half-widths
# of the profile's constants squared over 3; U = 2 u.
PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$(dirname "$0")" "$PY" - "$run" "$tmp/reg.yaml" <<'PY' || fail "the budget recomputed here differs from the analysis"
import math, sys
from bath_run import load, side
res, rd, items = load(sys.argv[1], sys.argv[2])
halfwidths = [0.002, 0.006, 0.004, 0.005, 0.008, 0.004]   # self-heating, drift, readout,
                                                           # stability, uniformity, immersion
d = 0.001
assert len(res["points"]) == 4
for i, pt in enumerate(res["points"]):
    x = side(rd, "item", i)
    y = side(rd, "reference", i)
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
bath_cert VD-HC-2026-T1 PRT-0042 "temperature calibration"
grep -q '\\degreecelsius' "$tmp/cert/VD-HC-2026-T1.xml" || fail "the DCC does not say \\degreecelsius"
echo "temperature.sh: ok"
