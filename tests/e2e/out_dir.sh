#!/usr/bin/env bash
# End to end (issue 20): `--out DIR` that does not exist is made with its
# parents (mkdir -p) before anything starts, and the run lands in it; one
# that cannot be made (a file in the way) or is not a folder is refused
# before the session starts, exit 1, with a plain sentence: no HDF5,
# libyaml or errno wording (o_flags, "errno =", H5...) reaches the user.
# For session, replay and acquire. Also a run file that is not one, and one
# that is not there, say so plainly.
source "$(dirname "$0")/common.bash"
show() { echo "--- $1" >&2; cat "$1" >&2; }
raw_words='errno|o_flags|H5[A-Z]|HDF5-DIAG|libyaml|yaml_|tempfile ='

# a missing nested folder: made, the run in it
"$CALDAQ" replay tests/traces/balance-mtsics.trace --profile profiles/balance-cg18-class-ii.yaml \
    --driver mtsics --standards tests/traces/standards.yaml --fast --out "$tmp/new/deep/runs" \
    > "$tmp/replay.out" 2> "$tmp/replay.err" || { show "$tmp/replay.err"; fail "replay into a missing folder"; }
ls "$tmp"/new/deep/runs/*.h5 > /dev/null || fail "no run in the folder made"
"$CALDAQ" verify "$(ls "$tmp"/new/deep/runs/*.h5)" > /dev/null || fail "the run does not verify"
echo "  a missing --out folder is made with its parents; the run is in it"

# a file in the way: refused, plainly, before anything is said or written
touch "$tmp/afile"
refused() { # refused NAME TEXT COMMAND...
    local name=$1 text=$2
    shift 2
    set +e
    "$@" > "$tmp/$name.out" 2> "$tmp/$name.err"
    local rc=$?
    set -e
    [ "$rc" -eq 1 ] || { show "$tmp/$name.err"; fail "$name: status $rc, not 1"; }
    grep -qF -- "$text" "$tmp/$name.err" || { show "$tmp/$name.err"; fail "$name: message"; }
    grep -qE "$raw_words" "$tmp/$name.err" "$tmp/$name.out" && { show "$tmp/$name.err"; fail "$name: library wording"; }
    [ ! -s "$tmp/$name.out" ] || { show "$tmp/$name.out"; fail "$name: the session started"; }
}
refused session-under-file "caldaq session: --out $tmp/afile/runs: $tmp/afile is a file, not a folder" \
    "$CALDAQ" session --profile profiles/balance-cg18-class-ii.yaml --port "$tmp/none" --batch \
    --out "$tmp/afile/runs"
refused session-file "caldaq session: --out $tmp/afile: $tmp/afile is a file, not a folder" \
    "$CALDAQ" session --profile profiles/balance-cg18-class-ii.yaml --port "$tmp/none" --batch \
    --out "$tmp/afile"
refused replay-under-file "caldaq replay: --out $tmp/afile/x: $tmp/afile is a file, not a folder" \
    "$CALDAQ" replay tests/traces/balance-mtsics.trace --profile profiles/balance-cg18-class-ii.yaml \
    --fast --out "$tmp/afile/x"
refused acquire-under-file "caldaq acquire: --out $tmp/afile/x: $tmp/afile is a file, not a folder" \
    "$CALDAQ" acquire --driver mtsics --port "$tmp/none" --points 0 --out "$tmp/afile/x"
echo "  --out under a file or naming a file: refused before the session, plainly"

# run files that are not there or not runs: plain sentences too
refused no-run "$tmp/none.h5: No such file or directory" "$CALDAQ" show "$tmp/none.h5"
refused not-run "not a caldaq run" "$CALDAQ" show "$tmp/afile"
echo "out_dir.sh: ok"
