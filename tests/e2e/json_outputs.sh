#!/usr/bin/env bash
# End to end (issue 20): --json where a script wants it, each read back
# with Python's json module and checked against what it describes.
#  - `caldaq session --json`: one JSON document on stdout (the session's
#    own lines go to stderr): status, exit, run, verdict, results; an
#    aborted one gives its resume command.
#  - `caldaq show RUN --json`: run, device, counts, results, integrity.
#  - `caldaq cert RUN --json`: the number, folder, manifest and the
#    manifest's files with their SHA-256 (checked against the files).
#  - `caldaq verify DIR --json`: intact or not, trusted or not, the lines.
source "$(dirname "$0")/common.bash"
show() { echo "--- $1" >&2; cat "$1" >&2; }
sed -e 's/due: 20[0-9][0-9]-/due: 2099-/' tests/fixtures/standards/example-lab-fixed-dates.yaml > "$tmp/reg.yaml"
BAL=profiles/balance-cg18-class-ii.yaml

"$CALDAQ" sim mtsics --port-link "$tmp/bal" --control "$tmp/bal.ctl" --advance 0 --settle 0 \
    --loads 0 --noise 0.0004 --resolution 0.001 --seed 3 </dev/null >"$tmp/sim.out" 2>&1 &
pids+=($!)
wait_for "$tmp/bal"
wait_for "$tmp/bal.ctl"

# session --json, complete
timeout 120 "$CALDAQ" session --profile "$BAL" --port "$tmp/bal" --out "$tmp/runs" --standards "$tmp/reg.yaml" \
    --batch --sim-control "$tmp/bal.ctl" --lang en --json > "$tmp/s.json" 2> "$tmp/s.err" \
    || { show "$tmp/s.json"; show "$tmp/s.err"; fail "session --json: status $?"; }
grep -q "^Calibration complete. Run file: " "$tmp/s.err" || { show "$tmp/s.err"; fail "the session's lines are not on stderr"; }
run=$(ls "$tmp"/runs/*.h5)
"$PY" - "$tmp/s.json" "$run" <<'PY' || fail "session --json"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["status"] == "complete" and d["exit"] == 0 and d["run"] == sys.argv[2], d
assert d["verdict"] == d["results"]["verdict"] == "pass" and d["results_version"] == 1, d["verdict"]
assert len(d["results"]["points"]) > 0 and d["error"] is None and d["resume"] is None
print(f"  session --json: complete, verdict {d['verdict']}, {len(d['results']['points'])} points")
PY

# session --json, aborted by the technician ("a" at the first prompt)
set +e
printf 'a\n' | "$CALDAQ" session --profile "$BAL" --port "$tmp/bal" --out "$tmp/runs-a" \
    --standards "$tmp/reg.yaml" --env 21,50 --lang en --json > "$tmp/a.json" 2> "$tmp/a.err"
rc=$?
set -e
[ "$rc" -eq 3 ] || { show "$tmp/a.err"; fail "aborted session --json: status $rc"; }
"$PY" - "$tmp/a.json" <<'PY' || fail "aborted session --json"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["status"] == "aborted" and d["exit"] == 3 and d["results"] is None, d
assert d["resume"].startswith("caldaq session --resume " + d["run"]), d["resume"]
print("  session --json, aborted: status, exit 3, the resume command")
PY

# show --json
"$CALDAQ" show "$run" --json > "$tmp/show.json"
"$PY" - "$tmp/show.json" "$run" <<'PY' || fail "show --json"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["file"] == sys.argv[2] and d["run"]["status"] == "complete", d["run"]
assert d["run"]["profile"] == "balance-cg18-class-ii" and d["device"]["driver"] == "mtsics"
assert d["counts"]["readings"] > 0 and d["counts"]["standards"] > 0
assert [r["version"] for r in d["results"]] == [1] and d["results"][0]["verdict"] == "pass"
assert d["integrity"]["intact"] is True and d["integrity"]["findings"] == []
print(f"  show --json: {d['counts']['readings']} readings, results v1 pass, intact")
PY

# cert --json, then verify --json
"$CALDAQ" cert --keygen "$tmp/lab.key" > /dev/null
sed -e "s|^signing_key: .*|signing_key: $tmp/lab.key|" examples/lab-example.yaml > "$tmp/lab.yaml"
"$CALDAQ" cert "$run" --out "$tmp/cert" --lab "$tmp/lab.yaml" --number J-1 --json > "$tmp/cert.json" \
    2> "$tmp/cert.err" || { show "$tmp/cert.err"; fail "cert --json"; }
"$PY" - "$tmp/cert.json" "$tmp/cert" <<'PY' || fail "cert --json"
import hashlib, json, os, sys
d = json.load(open(sys.argv[1]))
assert d["number"] == "J-1" and d["folder"] == sys.argv[2], d
assert d["manifest"] == os.path.join(sys.argv[2], "J-1.manifest.json")
files = d["content"]["files"]
assert set(files) == {"J-1.pdf", "J-1.xml", "J-1.json"}, files
for name, f in files.items():
    want = hashlib.sha256(open(os.path.join(sys.argv[2], name), "rb").read()).hexdigest()
    assert f == want, (name, f)
print(f"  cert --json: J-1, {len(files)} files whose SHA-256 match")
PY
"$CALDAQ" verify "$tmp/cert" --pub "$tmp/lab.key.pub" --json > "$tmp/v.json"
printf 'x' >> "$tmp/cert/J-1.xml"
set +e
"$CALDAQ" verify "$tmp/cert" --pub "$tmp/lab.key.pub" --json > "$tmp/v-bad.json"
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "verify --json of a changed certificate: status $rc"
"$PY" - "$tmp/v.json" "$tmp/v-bad.json" <<'PY' || fail "verify --json"
import json, sys
ok = json.load(open(sys.argv[1]))
bad = json.load(open(sys.argv[2]))
assert ok["number"] == "J-1" and ok["intact"] is True and ok["trusted"] is True and ok["failures"] == 0, ok
assert len(ok["signer"]) == 64 and ok["report"], ok
assert bad["intact"] is False and bad["failures"] == 1, bad
assert any("J-1.xml" in l and "FAILED" in l for l in bad["report"]), bad["report"]
print("  verify --json: intact and trusted; a changed file: not intact, named")
PY
echo "json_outputs.sh: ok"
