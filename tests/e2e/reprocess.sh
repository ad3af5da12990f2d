#!/usr/bin/env bash
# End to end: batch reprocessing of a generated archive (tools/gen-archive).
# Reprocessing reproduces every stored verdict and leaves the files alone;
# corrupt and truncated files are reported, not fatal; a revised standard
# changes exactly the runs that used it (worked out here from the run files
# with h5py); an interrupted batch resumed does each run once; three shards
# merged equal the whole; --write-back appends a results version that
# verifies.
source "$(dirname "$0")/common.bash"
GEN=${GEN_ARCHIVE:-tools/gen-archive}

"$GEN" 60 "$tmp/archive" --seed 11 --corrupt 2 > "$tmp/gen.out" || fail "gen-archive"
find "$tmp/archive" -name '*.h5' | sort | xargs sha256sum > "$tmp/before.sha"
total=$(wc -l < "$tmp/before.sha")

# --- the whole archive, two workers ----------------------------------------
set +e
"$CALDAQ" reprocess "$tmp/archive" --out "$tmp/all" -j 2 --json > "$tmp/all.json"
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "a batch with corrupt files must exit 1, not $rc"
"$PY" - "$tmp/all.json" "$total" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
total = int(sys.argv[2])
assert d["runs"] == total and d["failed"] == 2 and d["reanalysed"] == total - 2, d
assert d["verdicts_changed"] == 0, [r for r in d["results"] if r.get("verdict_changed")]
for r in d["results"]:
    if r["status"] == "ok":
        assert r["old_verdict"] == r["new_verdict"], r
        assert r["max_change_error"] == 0 and r["max_change_U"] == 0, r
    else:
        assert r["status"] == "failed" and r["error"], r
print(f"  {total - 2} runs re-analysed with their stored verdicts reproduced exactly; "
      f"2 corrupt files reported")
PY
find "$tmp/archive" -name '*.h5' | sort | xargs sha256sum | cmp -s - "$tmp/before.sha" \
    || fail "reprocessing without --write-back changed a run file"
[ "$(wc -l < "$tmp/all/summary.csv")" -eq $((total + 1)) ] || fail "summary.csv rows"

# --- impact of a revised standard ------------------------------------------
# The 100 g piece of W-E2-01 is 20 mg heavier than certified: every class II
# load that uses it (100 g and 150 g = 100 + 50) reads 0.02 g low, twice the
# class II MPE there, so every class II run that passed fails; runs of the
# other sets are not affected.
sed -e 's/value: 100.000030,/value: 100.020030,/' tests/traces/standards.yaml > "$tmp/revised.yaml"
grep -q 'value: 100.020030' "$tmp/revised.yaml" || fail "the revision did not apply"
set +e
"$CALDAQ" reprocess "$tmp/archive" --out "$tmp/impact" --standard W-E2-01 \
    --revised "$tmp/revised.yaml" --json > "$tmp/impact.json"
set -e
"$PY" - "$tmp/impact.json" <<'PY'
import json, sys, h5py
d = json.load(open(sys.argv[1]))
users, passed = set(), set()
for r in d["results"]:
    if r["status"] == "failed":
        continue
    with h5py.File(r["path"], "r") as f:
        ids = {s["id"].decode() for s in f["standards"][...]}
    if "W-E2-01" in ids:
        users.add(r["path"])
        if r["old_verdict"] == "pass":
            passed.add(r["path"])
affected = {r["path"] for r in d["results"] if r["status"] == "ok"}
changed = {r["path"] for r in d["results"] if r.get("verdict_changed")}
assert users and affected == users, (len(affected), len(users))
assert changed == passed, (sorted(changed ^ passed))
for r in d["results"]:
    if r["path"] in changed:
        assert r["new_verdict"] == "fail" and abs(r["max_change_error"] - 0.02) < 1e-9, r
print(f"  impact of W-E2-01: {len(users)} runs used it (h5py), all re-analysed; "
      f"the {len(changed)} that passed now fail; {d['not_affected']} not affected")
PY

# --- interrupted and resumed: each run once ---------------------------------
"$GEN" 150 "$tmp/big" --seed 5 > /dev/null
setsid "$CALDAQ" reprocess "$tmp/big" --out "$tmp/resumed" -j 2 > /dev/null 2>&1 &
batch=$!
# Interrupted as soon as its first run is done: the check is a shell
# builtin (no wc to fork), so even on a loaded machine the batch cannot
# run through its 150 runs between the look and the kill.
for _ in $(seq 2000); do
    [ -s "$tmp/resumed/done.jsonl" ] && break
    sleep 0.005
done
kill -INT -- "-$batch" 2>/dev/null || true
wait "$batch" 2>/dev/null || true
first=$(wc -l < "$tmp/resumed/done.jsonl")
"$CALDAQ" reprocess "$tmp/big" --out "$tmp/resumed" -j 2 > "$tmp/resume.out" 2> "$tmp/resume.err"
"$PY" - "$tmp/resumed/done.jsonl" "$first" <<'PY'
import collections, json, sys
paths = [json.loads(l)["path"] for l in open(sys.argv[1]) if l.strip()]
twice = [p for p, n in collections.Counter(paths).items() if n > 1]
assert not twice, twice[:3]
assert len(paths) == 150, len(paths)
print(f"  interrupted after {sys.argv[2]} runs, resumed: 150 runs, each done once")
PY
[ "$first" -lt 150 ] || fail "the batch finished before it could be interrupted"

# --- shards merged equal the whole -------------------------------------------
for i in 1 2 3; do
    "$CALDAQ" reprocess "$tmp/big" --out "$tmp/shard-$i" --shard "$i/3" > /dev/null
done
"$CALDAQ" reprocess --merge "$tmp"/shard-* --out "$tmp/merged" > /dev/null
"$PY" - "$tmp/merged/summary.json" "$tmp/resumed/summary.json" "$tmp"/shard-*/summary.json <<'PY'
import json, sys
merged, whole = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
shards = [json.load(open(p)) for p in sys.argv[3:]]
key = lambda d: [(r["path"], r["status"], r.get("new_verdict")) for r in d["results"]]
assert key(merged) == key(whole), "merged shards differ from the whole"
sets = [set(r["path"] for r in s["results"]) for s in shards]
assert sum(map(len, sets)) == len(set().union(*sets)) == 150, [len(s) for s in sets]
print(f"  3 shards ({', '.join(str(len(s)) for s in sets)} runs) merged = the whole batch")
PY

# --- write-back ------------------------------------------------------------
cp -r "$tmp/archive" "$tmp/wb"
rm -f $(find "$tmp/wb" -name '*.h5' -size -10k)   # the garbage files
find "$tmp/wb" -name '*.h5' | while read -r f; do "$CALDAQ" verify "$f" > /dev/null 2>&1 || rm -f "$f"; done
one=$(find "$tmp/wb" -name "*.h5" | sort | sed -n 1p)
"$CALDAQ" reprocess "$(dirname "$one")" --out "$tmp/wb-out" --write-back > /dev/null
"$CALDAQ" verify "$one" > /dev/null || fail "a written-back run does not verify"
"$CALDAQ" show "$one" > "$tmp/wb.show"
grep -q "analysis stored as results v2" "$tmp/wb.show" || fail "no results v2 after --write-back"
echo "  --write-back: results v2 appended with an audit entry, the run verifies"
# --- certificates in batch ----------------------------------------------------
"$CALDAQ" cert --keygen "$tmp/lab.key" > /dev/null
sed -e "s|^signing_key: .*|signing_key: $tmp/lab.key|" examples/lab-example.yaml > "$tmp/lab.yaml"
"$CALDAQ" reprocess "$(dirname "$one")" --out "$tmp/certs-out" --cert --lab "$tmp/lab.yaml" > /dev/null
n_runs=$(find "$(dirname "$one")" -name '*.h5' | wc -l)
n_certs=$(find "$tmp/certs-out/certs" -name '*.manifest.json' | wc -l)
[ "$n_runs" -eq "$n_certs" ] || fail "$n_runs runs but $n_certs certificates"
for m in $(find "$tmp/certs-out/certs" -name '*.manifest.json'); do
    "$CALDAQ" verify "$m" --pub "$tmp/lab.key.pub" > /dev/null || fail "$m does not verify"
done
echo "  --cert: $n_certs certificates issued in batch, each verifies with the lab's key"

# --- a summary longer than one sorted chunk -----------------------------------
# The summary sorts the done lines 512 at a time through a spill file and
# merges the chunks (issue 21): 1,500 lines over two folders, in no order,
# 300 paths given twice (the later line wins), must come out sorted, once
# each, with the later line's status.
mkdir -p "$tmp/big1" "$tmp/big2"
"$PY" - "$tmp/big1/done.jsonl" "$tmp/big2/done.jsonl" <<'PY'
import json, random, sys
random.seed(21)
paths = [f"/a/{random.randrange(10**9):09d}/r{i}.h5" for i in range(1200)]
first = [dict(path=p, status="failed", error="x") for p in paths]
random.shuffle(first)
again = [dict(path=p, status="ok", new_verdict="pass") for p in random.sample(paths, 300)]
with open(sys.argv[1], "w") as f:
    f.writelines(json.dumps(l) + "\n" for l in first[:900])
with open(sys.argv[2], "w") as f:
    f.writelines(json.dumps(l) + "\n" for l in first[900:] + again)
PY
# (status 1: the summary lists failed runs)
"$CALDAQ" reprocess --merge "$tmp/big1" "$tmp/big2" --out "$tmp/big" > /dev/null 2>&1 || true
"$PY" - "$tmp/big/summary.json" "$tmp/big1/done.jsonl" "$tmp/big2/done.jsonl" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
last = {}
for f in sys.argv[2:]:
    for line in open(f):
        d = json.loads(line)
        last[d["path"]] = d["status"]
got = [(r["path"], r["status"]) for r in s["results"]]
assert got == sorted(last.items()), "summary not the sorted last line of each path"
assert s["runs"] == 1200 and s["reanalysed"] == 300, (s["runs"], s["reanalysed"])
print("  summary of 1,500 lines (3 sorted chunks merged): 1,200 paths in order, later lines win")
PY
[ -z "$(ls -A "$tmp/big" | grep '^\.')" ] || fail "a spill or list file left in the batch folder"

# --- the order of a listing ------------------------------------------------------
# One folder is walked in order rather than listed whole and sorted: names
# around the folder "a" ("a.h5", "a-b.h5", "a b.h5", "A.h5", "a0.h5") must
# fall where strcmp puts the whole paths, or a shard would take other runs.
mkdir -p "$tmp/names/a" "$tmp/names/a-b" "$tmp/names/a.h5dir"
for f in a.h5 a/b.h5 a/a.h5 a-b.h5 a-b/z.h5 a0.h5 A.h5 a.h5dir/q.h5 b.h5 "a b.h5"; do
    echo junk > "$tmp/names/$f"
done
"$CALDAQ" reprocess "$tmp/names" --out "$tmp/names-1" --shard 1/2 > /dev/null 2>&1 || true
"$PY" - "$tmp/names-1/summary.json" "$tmp/names" <<'PY'
import json, os, sys
root = sys.argv[2]
every = sorted(os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs if f.endswith(".h5"))
want = every[0::2]
got = [r["path"] for r in json.load(open(sys.argv[1]))["results"]]
assert got == want, (got, want)
print(f"  shard 1/2 of {len(every)} tricky names: the runs of the sorted whole paths")
PY
echo "reprocess.sh: ok"
