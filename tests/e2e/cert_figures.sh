#!/usr/bin/env bash
# End to end: one set of reported figures (issue 15 section 5). For one
# certificate of each family (the recorded balance, multimeter and pressure
# sessions replayed), the PDF (pdftotext -layout), the DCC XML and the JSON
# are read and every reported number is compared as text, digit for digit:
# per point the nominal value, range, reference value, indication, error,
# U, k and MPE, the indications up and down and the hysteresis; the
# repeatability and eccentricity tests; the environment and the air
# density; the annex's u, k, U and budget rows. The JSON is read with its
# numbers kept as written (parse_float=str), so 0.0010 is not 0.001.
# Also checked: U has two significant digits and the error, indication and
# reference value its decimal place (GUM 7.2.6), the run keeps full
# precision, a multimeter's two "1 V" results are told apart by their
# range, and the chart's MPE envelope is the tolerance's.
set -euo pipefail
: "${CALDAQ:?path of the caldaq binary}"
PY=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "cert_figures.sh: $*" >&2; exit 1; }

"$CALDAQ" cert --keygen "$tmp/lab.key" > /dev/null
sed -e "s|^signing_key: .*|signing_key: $tmp/lab.key|" examples/lab-example.yaml > "$tmp/lab.yaml"

for name in balance-mtsics dmm-scpi pressure-modbus-rtu; do
    mkdir -p "$tmp/runs-$name"
    cmd=$(sed -e "s|^caldaq |\"\$CALDAQ\" |" -e "s| DIR\$| \"\$tmp/runs-$name\"|" "tests/traces/$name.cmd")
    eval "$cmd" > /dev/null || fail "$name: replay"
    run=$(ls "$tmp"/runs-"$name"/*.h5)
    out="$tmp/cert-$name"
    "$CALDAQ" cert "$run" --out "$out" --lab "$tmp/lab.yaml" --number "FIG-$name" \
        --issued "$(TZ=Asia/Ho_Chi_Minh date +%F)" --item-serial "SN-$name" > /dev/null || fail "$name: cert"
    pdftotext -layout "$out/FIG-$name.pdf" "$tmp/$name.txt"
    "$CALDAQ" analyze "$run" --json > "$tmp/$name.analysis.json" || fail "$name: analyze"
    "$PY" - "$name" "$tmp/$name.txt" "$out/FIG-$name.json" "$out/FIG-$name.xml" \
        "$tmp/$name.analysis.json" <<'PY'
import json, math, re, sys, xml.etree.ElementTree as ET
name, txt_path, json_path, xml_path, ana_path = sys.argv[1:6]
text = open(txt_path, encoding="utf-8").read()
lines = text.splitlines()
doc = json.load(open(json_path), parse_float=str, parse_int=str)
ana = json.load(open(ana_path))
ns = {"dcc": "https://ptb.de/dcc", "si": "https://ptb.de/si"}
root = ET.parse(xml_path).getroot()
checked = 0

def fail(msg):
    sys.exit(f"{name}: {msg}")

def decimals(s):
    return len(s.split(".")[1]) if "." in s else 0

def sig_digits(s):
    d = s.lstrip("-").replace(".", "").lstrip("0")
    return len(d)

def row(tokens, what):
    """A line of the PDF holding these tokens in this order, nothing else
    numeric between them."""
    pat = r"(^|\s)" + r"\s+".join(re.escape(t) for t in tokens) + r"(\s|$)"
    if not any(re.search(pat, l) for l in lines):
        fail(f"the PDF has no line {' '.join(tokens)} ({what})")

def xml_list(ref):
    q = root.find(f".//dcc:quantity[@refType='{ref}']/si:realListXMLList", ns)
    return None if q is None else q.find("si:valueXMLList", ns).text.split()

def xml_unc(what):
    q = root.find(".//dcc:quantity[@refType='basic_measurementError']/si:realListXMLList"
                  "/si:expandedUncXMLList", ns)
    return q.find(f"si:{what}XMLList", ns).text.split()

measured = [p for p in doc["results"] if p["measured"]]
lists = {
    "nominal": xml_list("basic_nominalValue"), "reference": xml_list("basic_referenceValue"),
    "indication": xml_list("basic_measuredValue"), "error": xml_list("basic_measurementError"),
    "mpe": xml_list("caldaq_maximumPermissibleError"),
    "U": xml_unc("uncertainty"), "k": xml_unc("coverageFactor"),
    "range": xml_list("caldaq_range"), "indication_up": xml_list("caldaq_indicationUp"),
    "indication_down": xml_list("caldaq_indicationDown"),
    "hysteresis": xml_list("caldaq_hysteresis"),
}
ana_points = [p for p in ana["points"] if p["measured"]]
assert len(ana_points) == len(measured)
for i, p in enumerate(measured):
    # the same digits in the JSON and the XML
    for key, values in lists.items():
        if key not in p:
            if values is not None:
                fail(f"the XML lists {key}, the JSON has none")
            continue
        if values is None or values[i] != p[key]:
            fail(f"point {i + 1} ({p['nominal']}): {key} {p[key]} in the JSON, "
                 f"{values[i] if values else None} in the XML")
        checked += 1
    # GUM 7.2.6: U to two significant digits, the others to its decimal place
    dec = decimals(p["U"])
    if sig_digits(p["U"]) != 2:
        fail(f"U = {p['U']} has not two significant digits")
    for key in ("reference", "indication", "error", "indication_up", "indication_down",
                "hysteresis"):
        if key in p and decimals(p[key]) != dec:
            fail(f"{key} {p[key]} is not at U's decimal place ({p['U']})")
    if decimals(p["mpe"]) < dec:
        fail(f"MPE {p['mpe']} has fewer decimals than U {p['U']}")
    # the run keeps full precision; the reported figures are it, rounded
    a = ana_points[i]
    if abs(float(p["U"]) - a["U"]) > 0.5 * 10 ** -dec * 1.000001 + 1e-300:
        fail(f"U {p['U']} is not the run's {a['U']} rounded")
    if abs(float(p["error"]) - a["error"]) > 0.5 * 10 ** -dec * 1.000001:
        fail(f"error {p['error']} is not the run's {a['error']} rounded")
    if repr(a["U"]) == p["U"] and sig_digits(repr(a["U"])) > 2:
        fail("the run's U is rounded")
    # and the same digits in the PDF's results table
    tokens = [p["nominal"]] + ([p["range"]] if "range" in p else []) + [
        p["reference"], p["indication"], p["error"], p["U"], p["k"], p["mpe"]]
    row(tokens, f"results, point {i + 1}")
    checked += len(tokens)
    if "indication_up" in p:
        tokens = [p["nominal"], p["indication_up"], p["indication_down"], p["hysteresis"], p["U"]]
        row(tokens, f"up and down, point {i + 1}")
        checked += len(tokens)

# two results at the same nominal value are told apart by their range
keys = [(p["nominal"], p.get("range")) for p in doc["results"]]
if len(set(keys)) != len(keys):
    fail(f"two results with the same nominal value and range: {keys}")
if name == "dmm-scpi":
    ones = [p for p in doc["results"] if p["nominal"] == "1"]
    if sorted(p["range"] for p in ones) != ["1", "10"]:
        fail(f"the two 1 V results carry ranges {[p.get('range') for p in ones]}")

# environment and air density
flat = " ".join(text.split())
env = doc["environment"]
for key, unit, ref in (("temp_c", "°C", "basic_temperature"),
                       ("rh_pct", "%RH", "basic_humidityRelative"),
                       ("p_hpa", "hPa", "basic_pressure")):
    v = env[key]
    x = root.find(f".//dcc:influenceCondition[@refType='{ref}']//si:value", ns)
    if v is None:
        if x is not None:
            fail(f"{key}: not measured in the JSON, {x.text} in the XML")
        continue
    if x is None or x.text != v or f"{v} {unit}" not in flat:
        fail(f"{key} {v}: XML {x.text if x is not None else None}, PDF?")
    checked += 1
if "air_density" in env:
    a = env["air_density"]
    x = root.find(".//dcc:influenceCondition[@refType='caldaq_airDensity']//si:real", ns)
    if x.find("si:value", ns).text != a["value"] or \
            x.find("si:expandedUnc/si:uncertainty", ns).text != a["u"]:
        fail("the air density differs between the JSON and the XML")
    if f"{a['value']} kg/m³, u = {a['u']} kg/m³" not in flat:
        fail(f"the PDF lacks the air density {a['value']} kg/m³, u = {a['u']} kg/m³")
    checked += 2

# a balance's repeatability and eccentricity tests
if "repeatability" in doc:
    r = doc["repeatability"]
    res = root.find(".//dcc:result[@refType='caldaq_repeatability']", ns)
    got = {q.get("refType"): q.find("si:real/si:value", ns).text
           for q in res.findall(".//dcc:quantity", ns)}
    if got["caldaq_mean"] != r["mean"] or got["caldaq_standardDeviation"] != r["s"] or \
            got["caldaq_load"] != r["load"]:
        fail(f"repeatability: JSON {r}, XML {got}")
    for t in (f"{r['mean']} {doc['unit']}", f"{r['s']} {doc['unit']}"):
        if t not in flat:
            fail(f"the PDF lacks the repeatability figure {t}")
    checked += 3
if "eccentricity" in doc:
    e = doc["eccentricity"]
    res = root.find(".//dcc:result[@refType='caldaq_eccentricity']", ns)
    ind = res.find(".//dcc:quantity[@refType='caldaq_indication']//si:valueXMLList", ns).text.split()
    dev = res.find(".//dcc:quantity[@refType='caldaq_deviation']//si:valueXMLList", ns).text.split()
    for i, pos in enumerate(e["positions"]):
        if ind[i] != pos["indication"] or dev[i] != pos["deviation"]:
            fail(f"eccentricity {pos['position']}: JSON {pos}, XML {ind[i]} {dev[i]}")
        row([pos["position"], pos["indication"], pos["deviation"]], "eccentricity")
        checked += 2
    if f"Largest deviation: {e['max_deviation']} {doc['unit']}" not in flat:
        fail(f"the PDF lacks the largest deviation {e['max_deviation']}")

# the annex: u, k, U of the point with the largest U, and its budget rows
worst = [p for p in measured if p["nominal"] == doc["annex_budget_at"]][0]
if f"u_c = {doc['annex_u']} {doc['unit']}, k = {worst['k']}, U = {worst['U']} {doc['unit']}" \
        not in flat:
    fail(f"the annex does not say u_c = {doc['annex_u']}, k = {worst['k']}, U = {worst['U']}")
for b in doc["annex_budget"]:
    share = f"{float(b['share']) * 100:.1f}"
    tokens = [b["x"] if float(b["x"]) != 0 else "0", b["u"] if float(b["u"]) != 0 else "0",
              b["c"], b["contribution"] if float(b["contribution"]) != 0 else "0", share]
    pat = re.escape(b["name"]) + r"\s.*?" + r"\s+".join(re.escape(t) for t in tokens)
    if not any(re.search(pat, l) for l in lines):
        fail(f"the annex has no row {b['name']} {' '.join(tokens)}")
    checked += 5

# the chart's envelope: it steps where the tolerance steps (R76 class II,
# e = 10 mg: 0.005 g up to 50 g, 0.01 g up to 200 g, 0.015 g above), not
# halfway between the measured points (35 g and 210 g)
pieces = [[float(x) for x in e[1:]] for e in doc["mpe_envelope"]]
if name == "balance-mtsics":
    want = [[0, 50, 0.005, 0.005], [50, 200, 0.01, 0.01], [200, 220, 0.015, 0.015]]
    if pieces != want:
        fail(f"the MPE envelope is {pieces}, the tolerance's is {want}")
if name == "pressure-modbus-rtu":  # EN 837-1: one MPE over the scale
    if pieces != [[0, 20, 0.05, 0.05]]:
        fail(f"the MPE envelope is {pieces}")
if name == "dmm-scpi":  # the 1 V range: % of |reading| + % of range, a kink at 0
    one_v = [[float(x) for x in e[1:]] for e in doc["mpe_envelope"] if e[0] == "2"]
    want = [[-1, 0, 4.7e-05, 7e-06], [0, 1, 7e-06, 4.7e-05]]
    if len(one_v) != 2 or any(abs(a - b) > 1e-4 * max(abs(b), 1e-5)
                              for pa, pb in zip(one_v, want) for a, b in zip(pa, pb)):
        fail(f"the 1 V range's envelope is {one_v}")
print(f"  {name}: {checked} reported figures the same in the PDF, the XML and the JSON")
PY
done
echo "cert_figures.sh: ok"
