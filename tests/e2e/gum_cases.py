"""Reference cases for the end-to-end test of `caldaq gum`.

write REF DIR        one model file per case of gum-cases.json
check REF ID OUT     compare `caldaq gum --json` output with the case's
                     expected figures, within the case's tolerances

Runs under Debian's /usr/bin/python3 with the standard library only: an
outside reader of our output, independent of the C code.
"""
import json
import sys


def model_doc(case, from_observations=False):
    doc = {"model": case["model"], "inputs": []}
    if "constants" in case:
        doc["constants"] = case["constants"]
    obs = case.get("observations") if from_observations else None
    for inp in case["inputs"]:
        out = {"name": inp["name"]}
        if obs:
            out["observations"] = obs[inp["name"]]
            out["simultaneous"] = True
        else:
            out["value"] = inp["value"]
            if "dist" in inp:
                out["dist"] = inp["dist"]["type"]
                out["half_width"] = inp["dist"]["half_width"]
            else:
                out["u"] = inp["u"]
            if "dof" in inp:
                out["dof"] = inp["dof"]
        doc["inputs"].append(out)
    if not obs and case.get("correlations"):
        doc["correlations"] = case["correlations"]
    exp = case["expected"]
    p = exp.get("p") or exp.get("mcm", {}).get("p") or 0.95
    doc["coverage"] = p
    return doc


def write(ref, outdir):
    for case in json.load(open(ref))["cases"]:
        if not case["inputs"]:
            continue  # H.3 is a least-squares fit: tested through `caldaq fit`
        with open(f"{outdir}/{case['id']}.yaml", "w") as f:
            json.dump(model_doc(case), f)
        if case.get("observations"):
            with open(f"{outdir}/{case['id']}-observations.yaml", "w") as f:
                json.dump(model_doc(case, True), f)


def near(got, want, tol, what, rel=False):
    lim = tol * abs(want) if rel else tol
    if got is None or abs(got - want) > lim:
        sys.exit(f"{what}: got {got}, expected {want} ({'rel' if rel else 'abs'} tol {tol})")


def check(ref, cid, outfile):
    from_obs = cid.endswith("-observations")
    base = cid[: -len("-observations")] if from_obs else cid
    case = next(c for c in json.load(open(ref))["cases"] if c["id"] == base)
    got = json.load(open(outfile))
    exp, tol = case["expected"], case["tolerance"]
    outs = {o["name"]: o for o in got["outputs"]}
    if base.startswith("GUM-H1"):
        o = got["outputs"][0]
        near(o["y"], exp["y"], tol["y_abs"], "y")
        near(o["u"], exp["u"], tol["u_rel"], "u", rel=True)
        near(o["nu_eff"], exp["nu_eff"], tol["nu_eff_abs"], "nu_eff")
        near(o["k"], exp["k"], tol["k_rel"], "k", rel=True)
        near(o["U"], exp["U"], tol["U_rel"], "U", rel=True)
        near(o["u_second_order"], exp["second_order_u"], 5e-4, "second-order u", rel=True)
    elif base.startswith("GUM-H2"):
        block = exp["from_observations" if from_obs else "from_rounded_inputs"]
        for name in ("R", "X", "Z"):
            near(outs[name]["y"], block[name]["y"], 1e-6, f"{name} y", rel=True)
            near(outs[name]["u"], block[name]["u"], tol["u_rel"], f"{name} u", rel=True)
        r = got["correlation"]
        near(r[0][1], block["r_RX"], tol["r_abs"], "r(R,X)")
        near(r[0][2], block["r_RZ"], tol["r_abs"], "r(R,Z)")
        near(r[1][2], block["r_XZ"], tol["r_abs"], "r(X,Z)")
        if from_obs:
            for name in ("R", "X", "Z"):
                near(outs[name]["nu_eff"], block["nu"], 1e-9, f"{name} nu")
                near(outs[name]["k"], block["k95_t4"], 1e-4, f"{name} k", rel=True)
    else:
        o = got["outputs"][0]
        m = o["mcm"]
        if "guf_u_rel" in tol:
            near(o["u"], exp["u"], tol["guf_u_rel"], "GUF u", rel=True)
        if "mcm_abs" in tol:  # 9.2: symmetric distributions
            for key, want in (("u", exp["mcm"]["u"]),):
                near(m[key], want, tol["mcm_abs"], f"MCM {key}")
            near(m["symmetric"]["low"], exp["mcm"]["low"], tol["mcm_abs"], "symmetric low")
            near(m["symmetric"]["high"], exp["mcm"]["high"], tol["mcm_abs"], "symmetric high")
        if "mcm_u_abs" in tol:  # 9.3
            near(m["u"], exp["mcm"]["u"], tol["mcm_u_abs"], "MCM u")
            t = tol["mcm_endpoint_abs_vs_reference"]
            near(m["shortest"]["low"], exp["mcm"]["low"], t, "shortest low")
            near(m["shortest"]["high"], exp["mcm"]["high"], t, "shortest high")
            near(o["u_second_order"], exp["guf2_u"], 1e-4, "second-order u", rel=True)
            assert m["lpu_validated"] is False, "JCGM 101 9.3: the GUF is not validated"
        if "mcm_u_rel" in tol:  # 9.4
            near(m["y"], exp["mcm"]["mean"], tol["mcm_mean_abs"], "MCM mean")
            near(m["u"], exp["mcm"]["u"], tol["mcm_u_rel"], "MCM u", rel=True)
            near(m["shortest"]["low"], exp["mcm"]["low"], tol["mcm_endpoint_abs"], "shortest low")
            near(m["shortest"]["high"], exp["mcm"]["high"], tol["mcm_endpoint_abs"],
                 "shortest high")
        assert m["trials"] == 1000000 and m["seed"] == 7


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(sys.argv[2], sys.argv[3])
    else:
        check(sys.argv[2], sys.argv[3], sys.argv[4])
