#!/usr/bin/env bash
# End to end: environmental conditions in a session. A profile naming a
# Modbus thermo-hygrometer is read at the start, at every point
# (per_point) and at the end, and the analysis averages them; a sensor that
# does not answer is said, logged, and recorded as "not measured"; --env
# overrides the sensor. The thermo-hygrometer is the Modbus simulator with
# the KELLER map: temperature from TOB1 (0x0008, 20.0 degC in the
# simulator), humidity from P1 (0x0002) set to 45.
source "$(dirname "$0")/common.bash"

sed -e 's/due: 20[0-9][0-9]-/due: 2099-/' tests/fixtures/standards/example-lab-fixed-dates.yaml > "$tmp/reg.yaml"
profile() { # $1: the sensor's port
    sed -e "s|^register: .*|register: $tmp/reg.yaml|" profiles/balance-cg18-class-ii.yaml
    printf 'environment:\n  per_point: true\n  sensor:\n    port: %s\n' "$1"
    printf '    temperature: {register: 8, type: float32, order: ABCD, function: 3}\n'
    printf '    humidity: {register: 2, type: float32, order: ABCD, function: 3}\n'
}
profile "$tmp/th" > "$tmp/sensor.yaml"
profile "$tmp/nothing-here" > "$tmp/dead.yaml"
"$CALDAQ" profile check "$tmp/sensor.yaml" > /dev/null || fail "the sensor profile does not check"

"$CALDAQ" sim modbus --port-link "$tmp/th" --loads 45 --noise 0 --capacity 100 --advance 0 \
    --settle 0 </dev/null >/dev/null 2>&1 &
pids+=($!)
"$CALDAQ" sim mtsics --port-link "$tmp/bal" --loads 0 --noise 0.0004 --resolution 0.001 \
    --advance 0 --settle 0 --seed 3 --control "$tmp/ctl" </dev/null >/dev/null 2>&1 &
pids+=($!)
wait_for "$tmp/th"; wait_for "$tmp/bal"; wait_for "$tmp/ctl"

run_session() { # $1 profile, $2 out dir, rest: extra options
    local p=$1 out=$2
    shift 2
    mkdir -p "$out"
    "$CALDAQ" session --profile "$p" --port "$tmp/bal" --out "$out" --batch \
        --sim-control "$tmp/ctl" --lang en "$@"
}

run_session "$tmp/sensor.yaml" "$tmp/a" > "$tmp/a.out" || fail "session with a sensor"
grep -q "Environmental conditions: 20.0 °C, 45 %RH" "$tmp/a.out" || fail "conditions not shown"
run_session "$tmp/dead.yaml" "$tmp/b" > "$tmp/b.out" || fail "a dead sensor must not stop the session"
grep -q "The thermo-hygrometer did not answer" "$tmp/b.out" || fail "dead sensor not said"
run_session "$tmp/sensor.yaml" "$tmp/c" --env 23.5,55,1009 > /dev/null || fail "--env with a sensor"

"$PY" - "$tmp"/a/*.h5 "$tmp"/b/*.h5 "$tmp"/c/*.h5 <<'PY'
import json, sys, h5py
def load(path):
    f = h5py.File(path, "r")
    env = f["environment"][...]
    res = json.loads(f["results"]["v1"][()] if not isinstance(f["results"]["v1"], h5py.Group)
                     else f["results"]["v1"]["json"][()])
    audit = [a["what"].decode() for a in f["audit"][...]]
    return env, res, audit
env, res, audit = load(sys.argv[1])
where = [e["where"].decode() for e in env]
assert where == ["start"] + ["point"] * 13 + ["end"], where
assert all(e["temp_c"] == 20.0 and e["rh_pct"] == 45.0 for e in env), env
assert res["environment"]["temp_c"] == 20.0 and res["environment"]["rh_pct"] == 45.0, res["environment"]
env, res, audit = load(sys.argv[2])
assert len(env) == 0 and res["environment"]["temp_c"] is None, (env, res["environment"])
assert any(a.startswith("thermo-hygrometer failed at start") for a in audit), audit
env, res, audit = load(sys.argv[3])
assert all(e["temp_c"] == 23.5 and e["rh_pct"] == 55.0 and e["p_hpa"] == 1009 for e in env)
assert len(env) == 15
print("  sensor read 15 times (start, 13 points, end); a dead sensor logged; --env overrides it")
PY
echo "session_env.sh: ok"
