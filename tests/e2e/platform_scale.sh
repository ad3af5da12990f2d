#!/usr/bin/env bash
# End to end: field verification of a platform scale
# (profiles/verification-platform-scale-r76.yaml) whose indicator streams the
# Mettler Toledo continuous output, against `caldaq sim toledo-cont`:
#  - `caldaq profile check` passes on the shipped profile;
#  - a batch session (--sim-control presents each load; --typed holds only
#    the checklist answers) completes and passes (ĐẠT), the run verifies,
#    every item reading came from the instrument (source "", not typed) and
#    the run's trace holds the Toledo frames;
#  - an indicator that drifts (50 g/s) fails (KHÔNG ĐẠT).
source "$(dirname "$0")/common.bash"
show() { echo "--- $1" >&2; cat "$1" >&2; }

PROFILE=profiles/verification-platform-scale-r76.yaml
"$CALDAQ" profile check "$PROFILE" > "$tmp/check.out" 2>&1 || { show "$tmp/check.out"; fail "profile check"; }
# a register whose standards are in date whenever the test runs
sed -e 's/due: 20[0-9][0-9]-/due: 2099-/' tests/fixtures/standards/example-lab-fixed-dates.yaml > "$tmp/reg.yaml"

printf '%s\n' "ext-marking,đạt" "ext-condition,đạt" "tech-level,đạt" "tech-display,đạt" \
    "tech-output,đạt" > "$tmp/checks.typed"

verify() { # verify NAME [sim option...]: a batch session into $tmp/NAME; its exit status
    local name=$1
    shift
    "$CALDAQ" sim toledo-cont --port-link "$tmp/$name.pty" --control "$tmp/$name.ctl" \
        --advance 0 --settle 0 --loads 0 --noise 0.002 --capacity 60 --resolution 0.02 \
        --unit kg --seed 7 "$@" </dev/null >"$tmp/$name.sim" 2>&1 &
    pids+=($!)
    wait_for "$tmp/$name.pty"
    wait_for "$tmp/$name.ctl"
    mkdir -p "$tmp/$name"
    set +e
    "$CALDAQ" session --profile "$PROFILE" --standards "$tmp/reg.yaml" --port "$tmp/$name.pty" \
        --batch --sim-control "$tmp/$name.ctl" --typed "$tmp/checks.typed" --out "$tmp/$name" \
        --lang vi --operator "Trần Thị Bình" --dut-serial CB-60-0042 > "$tmp/$name.out" 2>&1
    local rc=$?
    set -e
    return $rc
}

# 1. A good scale passes.
verify pass || { show "$tmp/pass.out"; fail "the verification did not complete"; }
grep -q "ĐẠT" "$tmp/pass.out" || { show "$tmp/pass.out"; fail "no ĐẠT"; }
grep -q "KHÔNG ĐẠT" "$tmp/pass.out" && { show "$tmp/pass.out"; fail "KHÔNG ĐẠT for a good scale"; }
run=$(ls "$tmp"/pass/*.h5)
"$CALDAQ" verify "$run" > "$tmp/verify.out" 2>&1 || { show "$tmp/verify.out"; fail "the run does not verify"; }
"$PY" - "$run" <<'PY' || fail "the run's readings"
import sys, h5py
def s(x): return x.decode() if isinstance(x, bytes) else str(x)
f = h5py.File(sys.argv[1], "r")
rd = [r for r in f["readings"][...] if s(r["status"]) == "stable"]
checks = [r for r in rd if s(r["side"]) == "check"]
item = [r for r in rd if s(r["side"]) != "check"]
assert len(checks) == 5 and all(s(r["source"]) == "operator" for r in checks), len(checks)
assert len(item) >= 18, len(item)
assert all(s(r["source"]) == "" for r in item), "an item reading was typed"
assert all(s(r["unit"]) == "kg" for r in item)
assert s(f["trace"].attrs["driver"]) == "toledo-cont", f["trace"].attrs["driver"]
PY

# 2. An indicator whose reading drifts up 50 g a second (more than the MPE
# within a second or two of the session) fails.
verify heavy --drift 0.05 || true
grep -q "KHÔNG ĐẠT" "$tmp/heavy.out" || { show "$tmp/heavy.out"; fail "a drifting scale passed"; }
echo "platform_scale.sh: ok"
