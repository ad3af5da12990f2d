#!/usr/bin/env bash
# End to end (issue 19): a Pt100 calibrated as a Callendar–Van Dusen curve,
# profiles/temperature-prt-curve-cvd.yaml. The PRT is read in ohms on the
# fluke-ttr simulator (U=O: a Pt100 with the IEC 60751 coefficients at the
# simulated temperature), the reference readout on the fluke-1529
# simulator, both presented the bath's temperature at 0, 20, ..., 100 °C.
# The run's readings are taken out with h5py and the whole computation is
# done again here, independently: each point's y and u from the profile's
# budget, the weighted least-squares quadratic by its normal equations
# solved by hand (no numpy), R0 = c0, A = c1/c0, B = c2/c0 and their
# covariance J C J^T; all must equal the results JSON, and A, B must be the
# simulator's IEC 60751 values within their U. Then the certificate: its
# DCC XML valid against PTB's schema.
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/bath.bash"
PROFILE=profiles/temperature-prt-curve-cvd.yaml
bath_sim item fluke-ttr 7 0.002
bath_sim ref fluke-1529 8 0.001
bath_session "$PROFILE" "PRT calibration" --set unit=O

PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$(dirname "$0")" "$PY" - "$run" "$tmp/reg.yaml" <<'PY' || fail "the curve recomputed here differs from the analysis"
import math, sys
from bath_run import load, side
res, rd, items = load(sys.argv[1], sys.argv[2])
S = 0.3908                                  # the profile's sensitivity, ohm/°C
h_R = [0.002]                               # self-heating, ohm
h_t = [0.006, 0.004, 0.005, 0.008, 0.004]   # drift, readout, stability, uniformity, immersion, °C
d = 0.0001
assert res["unit"] == "Ω", res["unit"]
assert len(res["points"]) == 6
X, Y, U = [], [], []
for i, pt in enumerate(res["points"]):
    r = side(rd, "item", i)
    t = side(rd, "reference", i)
    assert len(r) == 5 and len(t) == 5, (len(r), len(t))
    n = len(r)
    mean = sum(r) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in r) / (n - 1))
    value, U_ref = items[pt["nominal"]]
    x = sum(t) / n + (value - pt["nominal"])
    u2 = (sd ** 2 / n + (d / 2) ** 2 / 3 + sum(h * h / 3 for h in h_R)
          + S ** 2 * ((U_ref / 2) ** 2 + sum(h * h / 3 for h in h_t)))
    X.append(x); Y.append(mean); U.append(math.sqrt(u2))
# weighted least squares: (X^T W X) c = X^T W y, solved by Gauss-Jordan
N = [[0.0] * 3 for _ in range(3)]; b = [0.0] * 3
for x, y, u in zip(X, Y, U):
    g = [1, x, x * x]; w = 1 / u ** 2
    for a in range(3):
        b[a] += w * g[a] * y
        for c in range(3):
            N[a][c] += w * g[a] * g[c]
def inverse(m):
    a = [row[:] + [float(i == j) for j in range(3)] for i, row in enumerate(m)]
    for i in range(3):
        p = max(range(i, 3), key=lambda k: abs(a[k][i])); a[i], a[p] = a[p], a[i]
        piv = a[i][i]; a[i] = [v / piv for v in a[i]]
        for k in range(3):
            if k != i:
                fk = a[k][i]; a[k] = [vk - fk * vi for vk, vi in zip(a[k], a[i])]
    return [row[3:] for row in a]
C = inverse(N)
c = [sum(C[a][k] * b[k] for k in range(3)) for a in range(3)]
J = [[1, 0, 0], [-c[1] / c[0] ** 2, 1 / c[0], 0], [-c[2] / c[0] ** 2, 0, 1 / c[0]]]
V = [[sum(J[i][k] * C[k][l] * J[j][l] for k in range(3) for l in range(3)) for j in range(3)]
     for i in range(3)]
R0, A, B = c[0], c[1] / c[0], c[2] / c[0]
cv = res["curve"]
def close(got, want, rel, what):
    assert abs(got - want) <= rel * abs(want), (what, got, want)
close(cv["R0"], R0, 1e-9, "R0"); close(cv["A"], A, 1e-7, "A"); close(cv["B"], B, 1e-6, "B")
for i in range(3):
    close(cv["u"][i], math.sqrt(V[i][i]), 1e-6, "u")
    close(cv["U"][i], 2 * math.sqrt(V[i][i]), 1e-6, "U")
    for j in range(3):
        assert abs(cv["covariance"][i][j] - V[i][j]) <= 1e-6 * math.sqrt(V[i][i] * V[j][j]), (i, j)
chi2 = 0
for k, (x, y, u) in enumerate(zip(X, Y, U)):
    fit = c[0] + c[1] * x + c[2] * x * x
    chi2 += ((y - fit) / u) ** 2
    p = cv["points"][k]
    close(p["x"], x, 1e-12, "x"); close(p["y"], y, 1e-12, "y"); close(p["u"], u, 1e-9, "u(y)")
    assert abs(p["residual"] - (y - fit)) < 1e-9, (p["residual"], y - fit)
    assert abs(res["points"][k]["error"] - (y - fit)) < 1e-9
close(cv["chi2"], chi2, 1e-6, "chi2")
assert cv["dof"] == 3
# the simulator's probe: IEC 60751 (R0 = 100 ohm, A = 3.9083e-3, B = -5.775e-7); the
# reference's made-up certificate corrections shift x by 2 to 11 mK, inside U
for got, want, U2, what in ((R0, 100, cv["U"][0], "R0"), (A, 3.9083e-3, cv["U"][1], "A"),
                            (B, -5.775e-7, cv["U"][2], "B")):
    assert abs(got - want) <= U2, (what, got, want, U2)
print(f"  R0 = {R0:.5f} ohm, A = {A:.6e}, B = {B:.4e}; U(k=2) {cv['U'][0]:.2g}, "
      f"{cv['U'][1]:.2g}, {cv['U'][2]:.2g}; r(A,B) = {cv['correlation'][1][2]:.4f}: as the analysis")
PY

# The certificate.
bath_cert VD-HC-2026-T2 PT100-0815 "PRT calibration"

# The coefficients as the three formats report them: the same digits in
# the JSON file, the DCC (caldaq_cvdR0/A/B) and the PDF's text, each the
# analysis' value rounded to the decimals of its U (two significant digits).
pdftotext -layout "$tmp/cert/VD-HC-2026-T2.pdf" "$tmp/cert.txt"
"$PY" - "$run" "$tmp/cert/VD-HC-2026-T2.json" "$tmp/cert/VD-HC-2026-T2.xml" "$tmp/cert.txt" <<'PY' \
    || fail "the certificate's coefficients differ between the formats or from the analysis"
import json, math, re, sys, h5py
res = json.loads(h5py.File(sys.argv[1], "r")["results"]["v1"][()])["curve"]
js = open(sys.argv[2], encoding="utf-8").read()
xml = open(sys.argv[3], encoding="utf-8").read()
pdf = open(sys.argv[4], encoding="utf-8").read()
for i, name in enumerate(["R0", "A", "B"]):
    U = res["U"][i]
    dec = 1 - math.floor(math.log10(U))         # two significant digits
    U2 = round(U, dec)
    if U2 >= 10 ** (2 - dec):                    # 0.0996 -> 0.10: one decimal fewer
        dec -= 1
        U2 = round(U, dec)
    v = f"{round(res[name], dec):.{dec}f}"
    u = f"{U2:.{dec}f}"
    m = re.search(r'"%s": \{\s*"value": (\S+),\s*"U": (\S+)\s*\}' % name, js)
    assert m and m.group(1) == v and m.group(2) == u, (name, m and m.groups(), v, u)
    m = re.search(r'refType="caldaq_cvd%s">.*?<si:value>(\S+)</si:value>.*?<si:uncertainty>(\S+)</si:uncertainty>'
                  % name, xml, re.S)
    assert m and m.group(1) == v and m.group(2) == u, (name, m and m.groups(), v, u)
    assert re.search(r"^\s*%s\s+%s\s+%s\s" % (name, re.escape(v), re.escape(u)), pdf, re.M), (name, v, u)
    print(f"  {name} = {v} ± {u} (k = 2) in the JSON, the DCC and the PDF")
r_ab = f"{res['correlation'][1][2]:.4f}"
assert f'"A_B": {r_ab}' in js and f"r(A, B) = {r_ab}" in pdf and f"<si:value>{r_ab}</si:value>" in xml, r_ab
PY
echo "prt_curve.sh: ok"
