"""What the bath calibrations' checks (temperature.sh, prt_curve.sh) read
from a run: the first results version, the stable readings, and T-REF-02's
certified items {nominal: (value, U)} from the register."""
import json, re, h5py


def text(x):
    return x.decode() if isinstance(x, bytes) else str(x)


def load(run_path, register_path):
    f = h5py.File(run_path, "r")
    res = json.loads(f["results"]["v1"][()])
    rd = [r for r in f["readings"][...] if text(r["status"]) == "stable"]
    reg = open(register_path, encoding="utf-8").read()
    block = reg[reg.index("- id: T-REF-02"):]
    items = {float(m.group(1)): (float(m.group(2)), float(m.group(3)))
             for m in re.finditer(r"nominal: (\d+), unit: \"°C\", value: ([\d.]+), U: ([\d.]+)",
                                  block)}
    return res, rd, items


def side(rd, name, point):
    """The values of one side's stable readings at a test point."""
    return [float(r["value"]) for r in rd if text(r["side"]) == name and int(r["point"]) == point]
