#!/usr/bin/env bash
# test-timeout: 900
# End to end (issue 20): every shipped profile runs against `caldaq sim`
# with exactly the commands docs/sessions.md shows ("Trying every shipped
# profile against the simulators"). The blocks are read from the doc, so the
# doc and this test cannot drift: each line is run as written, with only
# `caldaq` turned into $CALDAQ, `/tmp/` into a temporary folder of the
# block's own and port 5025 into a free one. `caldaq sim` lines start in
# the background (ready when their port link and control socket exist, or
# their TCP port answers), the session line in the foreground under a time
# limit. Each session must exit 0, say the run is complete, leave one run
# file that `caldaq verify` accepts, and print an overall verdict of PASS.
# Every shipped profile (profiles/*.yaml with caldaq_profile:) must have
# exactly one block. The blocks run in parallel: they mostly wait on the
# simulated instruments and sources. PROFILES_SIM_ONLY="NAME ..." runs only
# those blocks (while mending one; the suite runs them all).
source "$(dirname "$0")/common.bash"
show() { echo "--- $1" >&2; cat "$1" >&2; }
export LANG=C.UTF-8 LC_ALL=C.UTF-8 LANGUAGE=
DOC=docs/sessions.md

# The blocks: "# try profiles/X.yaml" and the command lines after it, up to
# the closing fence; one file of lines per block.
mkdir "$tmp/blocks"
awk -v dir="$tmp/blocks" '
    /^# try profiles\/.*\.yaml$/ { name = $3; sub(/^profiles\//, "", name); sub(/\.yaml$/, "", name);
                                   file = dir "/" name; print $3 > (dir "/" name ".profile"); next }
    /^```/ { file = ""; next }
    file != "" && /^caldaq / { print > file }
' "$DOC"

# Every shipped profile has its block, and no block names anything else.
shipped=()
for p in profiles/*.yaml; do
    grep -q '^caldaq_profile:' "$p" && shipped+=("$(basename "$p" .yaml)")
done
[ "${#shipped[@]}" -ge 13 ] || fail "only ${#shipped[@]} shipped profiles found"
for n in "${shipped[@]}"; do
    [ -s "$tmp/blocks/$n" ] || fail "$DOC shows no commands for profiles/$n.yaml"
    [ "$(grep -c '^caldaq session ' "$tmp/blocks/$n")" -eq 1 ] || fail "$n: not one session line"
    grep -q -- "--profile profiles/$n.yaml " "$tmp/blocks/$n" || fail "$n: the session runs another profile"
done
[ "$(ls "$tmp/blocks" | grep -vc '\.profile$')" -eq "${#shipped[@]}" ] \
    || fail "$DOC has blocks for profiles that are not shipped: $(ls "$tmp/blocks")"

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
tcp_ready() { for _ in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; fail "nothing listens on port $1"; }

# run_block NAME: its simulators, then its session; status 0 when the run
# is complete and verifies.
run_block() {
    local name=$1 dir="$tmp/$1" port line sims=() status=0
    mkdir "$dir"
    port=$(free_port)
    local n=0
    while IFS= read -r line; do
        line=${line//\/tmp\//$dir\/}
        line=${line//5025/$port}
        read -ra words <<< "$line"
        words[0]=$CALDAQ
        n=$((n + 1))
        if [ "${words[1]}" = sim ]; then
            "${words[@]}" </dev/null >"$dir/sim$n.out" 2>&1 &
            sims+=($!)
            echo $! >> "$tmp/sims.pids"
            local i
            for ((i = 2; i < ${#words[@]}; i++)); do
                case "${words[i]}" in
                    --port-link|--control) wait_for "${words[i + 1]}" ;;
                    --tcp) tcp_ready "${words[i + 1]}" ;;
                esac
            done
        else
            printf '%s\n' "${words[*]}" > "$dir/session.cmd"
            timeout 600 "${words[@]}" </dev/null >"$dir/session.out" 2>"$dir/session.err" || status=$?
        fi
    done < "$tmp/blocks/$name"
    for p in "${sims[@]}"; do kill "$p" 2>/dev/null || true; done
    wait "${sims[@]}" 2>/dev/null || true
    if [ "$status" -ne 0 ]; then
        show "$dir/session.cmd"; show "$dir/session.out"; show "$dir/session.err"
        echo "$name: the session exited $status" >&2
        return 1
    fi
    local runs=("$dir"/caldaq-runs/*.h5)
    [ "${#runs[@]}" -eq 1 ] && [ -f "${runs[0]}" ] || { echo "$name: not one run file: ${runs[*]}" >&2; return 1; }
    grep -qE "^(Calibration|Verification) complete\. Run file: ${runs[0]}$" "$dir/session.out" \
        || { show "$dir/session.out"; echo "$name: no completion line" >&2; return 1; }
    grep -q "^Overall verdict: PASS" "$dir/session.out" \
        || { show "$dir/session.out"; echo "$name: the verdict is not PASS" >&2; return 1; }
    grep -q "is the shipped example register" "$dir/session.out" \
        || { show "$dir/session.out"; echo "$name: the example register is not said to be one" >&2; return 1; }
    "$CALDAQ" verify "${runs[0]}" > /dev/null || { echo "$name: the run does not verify" >&2; return 1; }
    echo "  $name: $(grep -c '^\[[0-9]*/[0-9]*\]' "$dir/session.out") points, $(grep -m1 '^Overall verdict' "$dir/session.out")"
}

if [ -n "${PROFILES_SIM_ONLY:-}" ]; then
    read -ra shipped <<< "$PROFILES_SIM_ONLY"
fi
declare -A job
for n in "${shipped[@]}"; do
    run_block "$n" > "$tmp/$n.log" 2>&1 &
    job[$n]=$!
done
kill_sims() { [ -s "$tmp/sims.pids" ] && while read -r p; do kill "$p" 2>/dev/null || true; done < "$tmp/sims.pids"; return 0; }
failed=0
for n in "${shipped[@]}"; do
    if wait "${job[$n]}"; then
        cat "$tmp/$n.log"
    else
        cat "$tmp/$n.log" >&2
        failed=$((failed + 1))
    fi
done
kill_sims
[ "$failed" -eq 0 ] || fail "$failed of ${#shipped[@]} shipped profiles did not run as $DOC shows"
echo "profiles_sim.sh: ok (${#shipped[@]} profiles, the commands of $DOC)"
