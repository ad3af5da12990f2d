#!/usr/bin/env bash
# End to end: damaged run files neither crash nor hang the commands that
# read them (issue 14, section 3). A real run (a replay of the recorded
# MT-SICS session, trace included) is damaged N times by tests/damage-run
# (bit flips, zeroed blocks, 0xFF bytes, random bytes, truncations, at
# offsets spread over the file and aimed at HDF5's metadata), and the saved
# crashers of tests/fixtures/runs/damaged/ are added. Then, each command
# under `timeout`:
#   - `caldaq verify F` and `caldaq show F` for every file: never killed by
#     a signal (exit status >= 128), never past the bound, exit 0 or 1, and
#     the file is named in what it says (verify says "intact" only of a copy
#     whose damage fell where nothing is read: free space, padding);
#   - `export --json`, `trace`, `analyze` and `cert` for the saved crashers;
#   - one `caldaq reprocess` over all of them (2 workers): it finishes, and
#     its summary has one line per file, the ones it could not read
#     "failed" with the reason;
#   - a batch over a sound archive whose worker is killed mid-way: every run
#     is still listed, the one the worker died on "failed".
#
#   DAMAGED_RUNS_N    damaged copies (default 100 in make check; the issue's
#                     reproduction used 300)
#   DAMAGED_RUNS_SEED the generator's seed (default 14)
#   KEEP=1            keep the temporary folder (and say where)
set -euo pipefail # before common.bash: without it, $tmp would be empty
source "$(dirname "$0")/common.bash"
n=${DAMAGED_RUNS_N:-100}
seed=${DAMAGED_RUNS_SEED:-14}
fixtures=tests/fixtures/runs/damaged
# Reading a file gives up after this many seconds (the commands' guard);
# each command is bounded well above it, so a hang is told from a slow read.
export CALDAQ_READ_TIMEOUT=5
bound=30
if [ -n "${KEEP:-}" ]; then
    trap 'echo "damaged_runs.sh: kept $tmp" >&2' EXIT
fi
start=$SECONDS

mkdir -p "$tmp/src"
"$CALDAQ" replay tests/traces/balance-mtsics.trace --profile profiles/balance-cg18-class-ii.yaml \
    --driver mtsics --standards tests/traces/standards.yaml --fast --out "$tmp/src" \
    > "$tmp/replay.out" 2>&1 || fail "the source run could not be made (replay)"
src=$(ls "$tmp"/src/*.h5)
"$CALDAQ" verify "$src" > /dev/null || fail "the source run does not verify"

tests/damage-run "$src" "$tmp/damaged" "$n" "$seed"
n_fixtures=0
if [ -d "$fixtures" ]; then
    cp "$fixtures"/*.h5 "$tmp/damaged/"
    n_fixtures=$(ls "$fixtures"/*.h5 | wc -l)
fi
"$CALDAQ" cert --keygen "$tmp/lab.key" > /dev/null
sed -e "s|^signing_key: .*|signing_key: $tmp/lab.key|" examples/lab-example.yaml > "$tmp/lab.yaml"
files=("$tmp"/damaged/*.h5)
total=${#files[@]}
gen_s=$((SECONDS - start))

# run NAME FILE CMD...: the command under the bound; its status in $rc, what
# it printed in $tmp/out. Records in $problems a signal, a hang, another
# exit status than 0 or 1, and an output that does not name the file (`show`
# names it only when it cannot read it: a summary of a readable run starts
# with the run's id).
problems=()
run() {
    local what=$1 file=$2
    shift 2
    set +e
    timeout -k 5 "$bound" "$@" > "$tmp/out" 2>&1
    rc=$?
    set -e
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
        problems+=("$what $(basename "$file"): no answer within ${bound} s")
    elif [ "$rc" -ge 128 ]; then
        problems+=("$what $(basename "$file"): killed by signal $((rc - 128))")
    elif [ "$rc" -gt 1 ]; then
        problems+=("$what $(basename "$file"): exit status $rc")
    elif { [ "$what" != show ] || [ "$rc" -ne 0 ]; } && ! grep -qF "$file" "$tmp/out"; then
        problems+=("$what $(basename "$file"): does not name the file: $(head -c 200 "$tmp/out")")
    fi
}

not_intact=0 intact=0 unchanged=0 unreadable=0
for f in "${files[@]}"; do
    run verify "$f" "$CALDAQ" verify "$f"
    if [ "$rc" -eq 0 ]; then
        intact=$((intact + 1))
        # zeros written over zeros, 0xFF over an undefined address
        cmp -s "$f" "$src" && unchanged=$((unchanged + 1))
    elif [ "$rc" -eq 1 ]; then
        not_intact=$((not_intact + 1))
    fi
    run show "$f" "$CALDAQ" show "$f"
    [ "$rc" -eq 1 ] && unreadable=$((unreadable + 1))
done
# The saved crashers never read cleanly: each must be reported.
for f in "$tmp"/damaged/crash-*.h5 "$tmp"/damaged/hang-*.h5; do
    [ -e "$f" ] || continue
    run verify "$f" "$CALDAQ" verify "$f"
    [ "$rc" -eq 1 ] || problems+=("verify $(basename "$f"): a saved crasher said intact")
    run export "$f" "$CALDAQ" export "$f" --json
    run trace "$f" "$CALDAQ" trace "$f"
    run analyze "$f" "$CALDAQ" analyze "$f"
    run cert "$f" "$CALDAQ" cert "$f" --out "$tmp/certs" --lab "$tmp/lab.yaml"
done
each_s=$((SECONDS - start - gen_s))

set +e
timeout -k 5 $((bound * 4)) "$CALDAQ" reprocess "$tmp/damaged" --out "$tmp/batch" -j 2 --json \
    > "$tmp/batch.json" 2> "$tmp/batch.err"
rc=$?
set -e
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    problems+=("reprocess: the batch did not finish within $((bound * 4)) s")
elif [ "$rc" -ge 2 ]; then
    problems+=("reprocess: exit status $rc: $(head -c 300 "$tmp/batch.err")")
elif ! "$PY" - "$tmp/batch.json" "$tmp/damaged" "$total" > "$tmp/batch.check" 2>&1 <<'PY'
import json, os, sys
d = json.load(open(sys.argv[1]))
folder, total = sys.argv[2], int(sys.argv[3])
paths = sorted(r["path"] for r in d["results"])
want = sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(".h5"))
assert paths == want, f"the summary lists {len(paths)} runs of {total}: missing " \
    f"{sorted(set(want) - set(paths))[:3]}"
for r in d["results"]:
    assert r["status"] in ("ok", "failed"), r
    if r["status"] == "failed":
        assert r.get("error"), r
crashed = [r for r in d["results"] if "crashed" in r.get("error", "")]
print(f"{d['runs']} runs: {d['reanalysed']} re-analysed, {d['failed']} failed "
      f"({len(crashed)} where the library crashed)")
PY
then
    problems+=("reprocess: $(cat "$tmp/batch.check")")
fi
batch_s=$((SECONDS - start - gen_s - each_s))

# A worker that dies anyway (here: killed, as the OOM killer would) costs
# the run it was on, not the rest of its share: the batch finishes with
# every run listed, the one it died on "failed" saying so.
GEN=${GEN_ARCHIVE:-tools/gen-archive}
"$GEN" 60 "$tmp/archive" --seed 14 > /dev/null
set +e
timeout -k 5 $((bound * 4)) "$CALDAQ" reprocess "$tmp/archive" --out "$tmp/killed" -j 2 --json \
    > "$tmp/killed.json" 2> "$tmp/killed.err" &
batch=$!
set -e
killed=""
for _ in $(seq 400); do
    if [ -f "$tmp/killed/done.jsonl" ] && [ "$(wc -l < "$tmp/killed/done.jsonl")" -ge 6 ]; then
        # timeout's child is caldaq; caldaq's children are the workers
        main=$(pgrep -P "$batch" | head -1 || true)
        [ -n "$main" ] && killed=$(pgrep -P "$main" | head -1 || true)
        [ -n "$killed" ] && kill -KILL "$killed" 2>/dev/null && break
    fi
    sleep 0.02
done
set +e
wait "$batch"
rc=$?
set -e
if [ -z "$killed" ]; then
    problems+=("reprocess: no worker to kill (the batch finished first)")
elif [ "$rc" -ge 2 ]; then
    problems+=("reprocess with a killed worker: exit status $rc: $(head -c 300 "$tmp/killed.err")")
elif ! "$PY" - "$tmp/killed.json" 60 > "$tmp/killed.check" 2>&1 <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["runs"] == int(sys.argv[2]), f"{d['runs']} runs listed of {sys.argv[2]}"
died = [r for r in d["results"] if "worker died" in r.get("error", "")]
assert len(died) <= 1 and all(r["status"] == "failed" for r in died), died
ok = sum(r["status"] == "ok" for r in d["results"])
assert ok == d["runs"] - len(died), (ok, len(died))
print(f"{d['runs']} runs listed, {len(died)} failed where the worker was killed")
PY
then
    problems+=("reprocess with a killed worker: $(cat "$tmp/killed.check")")
fi

if [ ${#problems[@]} -gt 0 ]; then
    printf '  %s\n' "${problems[@]}" >&2
    fail "${#problems[@]} problems with $total damaged files"
fi
echo "  $total damaged files ($n made with seed $seed in ${gen_s} s, $n_fixtures saved crashers):" \
     "verify: $not_intact not intact, $intact intact ($unchanged of them unchanged by the" \
     "damage, the others damaged where nothing is read);" \
     "show: $unreadable refused; ${each_s} s"
echo "  reprocess -j 2: $(cat "$tmp/batch.check"); ${batch_s} s"
echo "  reprocess -j 2 with a worker killed: $(cat "$tmp/killed.check")"
echo "  no signal, no hang"
echo "damaged_runs.sh: ok"
