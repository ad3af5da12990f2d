#!/usr/bin/env bash
# End to end: every shipped verification profile whose sides are read by eye
# or certified (sphygmomanometer, clinical thermometer, non-automatic
# weighing instrument) runs in batch from a typed file made from its plan
# (`caldaq profile check --json`: its checklist and points), each reading
# typed at its nominal: the run completes, verifies and passes, and every
# typed reading is in it as typed. The dial gauge, which reads its reference
# over Modbus, is verification.sh's.
source "$(dirname "$0")/common.bash"
show() { echo "--- $1" >&2; cat "$1" >&2; }
sed -e 's/due: 20[0-9][0-9]-/due: 2099-/' tests/fixtures/standards/example-lab-fixed-dates.yaml > "$tmp/reg.yaml"

n=0
for profile in profiles/verification-*.yaml; do
    [ "$profile" = profiles/verification-cycles.yaml ] && continue
    name=$(basename "$profile" .yaml)
    "$CALDAQ" profile check "$profile" --standards "$tmp/reg.yaml" --json > "$tmp/$name.json" \
        || fail "$profile does not check"
    read -r item ref < <("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["item"]["read"], d["reference"]["read"])' "$tmp/$name.json")
    [ "$item" = instrument ] || [ "$ref" = instrument ] && continue
    # the checklist, then per reading the item's value and the reference's
    "$PY" - "$tmp/$name.json" > "$tmp/$name.typed" <<'PY'
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
for c in d["verification"]["checks"]:
    print(f"{c['id']},đạt")
def typed(v):            # as a Vietnamese technician types it
    return f"{v:g}".replace(".", ",")
for p in d["points"]:
    for _ in range(p["repeat"]):
        print(f"{p['nominal']:g},{typed(p['nominal'])}")
        if d["reference"]["read"] == "typed":
            print(f"{p['nominal']:g},{typed(p['nominal'])}")
PY
    mkdir -p "$tmp/$name"
    "$CALDAQ" session --profile "$profile" --standards "$tmp/reg.yaml" --batch \
        --typed "$tmp/$name.typed" --out "$tmp/$name" --lang vi --operator "Trần Thị Bình" \
        > "$tmp/$name.out" 2>&1 || { show "$tmp/$name.out"; fail "$name: the session did not complete"; }
    grep -qF "Kết luận chung: ĐẠT" "$tmp/$name.out" || { show "$tmp/$name.out"; fail "$name: no pass"; }
    run=$(ls "$tmp/$name"/*.h5)
    "$CALDAQ" verify "$run" > /dev/null || fail "$name: the run does not verify"
    "$PY" - "$run" "$tmp/$name.typed" <<'PY' || fail "$name: the typed readings are not in the run as typed"
import sys, h5py
def s(x): return x.decode() if isinstance(x, bytes) else str(x)
rd = h5py.File(sys.argv[1], "r")["readings"][...]
typed = [s(r["display"]) for r in rd if s(r["source"]) == "operator"]
lines = [l.rstrip("\n").split(",", 1)[1] for l in open(sys.argv[2], encoding="utf-8") if l.strip()]
assert typed == lines, (typed[:5], lines[:5])
PY
    echo "  $name: $(grep -c . "$tmp/$name.typed") answers and readings typed, pass"
    n=$((n + 1))
done
[ "$n" = 3 ] || fail "$n verification profiles run, not 3"
echo "verification_profiles.sh: ok"
