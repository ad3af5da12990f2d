#!/usr/bin/env bash
# End to end (issue 20): the configuration files (docs/configuration.md).
# $CALDAQ_SYSCONFDIR/caldaq/caldaq.yaml (standing in for /etc), then
# $XDG_CONFIG_HOME/caldaq/caldaq.yaml, then --config FILE, each key
# replacing the earlier file's, and what is typed replacing them all: a
# technician's `caldaq session --profile P --port P` (plus --batch and the
# simulator's control here) takes the register, the output folder and the
# language from them and completes. Relative files are the configuration
# file's folder's; `out` is the current folder's. Errors name FILE:LINE: an
# unknown key, a language that is neither vi nor en, a list where a value
# goes; a missing --config file and --config on a command that takes
# nothing from it are refused. common.bash keeps the machine's own files
# out of every test.
source "$(dirname "$0")/common.bash"
show() { echo "--- $1" >&2; cat "$1" >&2; }
root=$PWD
BAL=$root/profiles/balance-cg18-class-ii.yaml
[ "$XDG_CONFIG_HOME" = "$tmp/.config" ] && [ "$CALDAQ_SYSCONFDIR" = "$tmp/.etc" ] \
    || fail "common.bash does not keep the machine's configuration out"
mkdir -p "$tmp/.etc/caldaq" "$tmp/.config/caldaq" "$tmp/work" "$tmp/other"
sys=$tmp/.etc/caldaq/caldaq.yaml
user=$tmp/.config/caldaq/caldaq.yaml

# the register beside the system file, named relatively
sed -e 's/due: 20[0-9][0-9]-/due: 2099-/' tests/fixtures/standards/example-lab-fixed-dates.yaml \
    > "$tmp/.etc/caldaq/register.yaml"
printf 'standards: register.yaml\nout: runs-sys\nlang: vi\n' > "$sys"
printf '# the bench PC of room 2\nout: runs-user\n' > "$user"
printf 'lang: en\n' > "$tmp/other/caldaq.yaml"

"$CALDAQ" sim mtsics --port-link "$tmp/bal" --control "$tmp/bal.ctl" --advance 0 --settle 0 \
    --loads 0 --noise 0.0004 --resolution 0.001 --seed 3 </dev/null >"$tmp/sim.out" 2>&1 &
pids+=($!)
wait_for "$tmp/bal"
wait_for "$tmp/bal.ctl"

# 1. system + user files: register from /etc (relative to it), out from the
# user's file (relative to the current folder), Vietnamese from /etc
(cd "$tmp/work" && timeout 120 "$CALDAQ" session --profile "$BAL" --port "$tmp/bal" --batch \
    --sim-control "$tmp/bal.ctl") > "$tmp/s1.out" 2> "$tmp/s1.err" \
    || { show "$tmp/s1.out"; show "$tmp/s1.err"; fail "session from the configuration: status $?"; }
run=$(ls "$tmp"/work/runs-user/*.h5) || fail "no run in the user's out folder"
[ ! -e "$tmp/work/runs-sys" ] || fail "the system's out was used, not the user's"
grep -q "^Hiệu chuẩn xong. Tệp dữ liệu đo: runs-user/" "$tmp/s1.out" || { show "$tmp/s1.out"; fail "not in Vietnamese"; }
grep -q "hạn 2099-03-10: còn hiệu lực" "$tmp/s1.out" || { show "$tmp/s1.out"; fail "not the register of the system file"; }
grep -q "example register" "$tmp/s1.out" && fail "the configured register was taken for the example"
"$CALDAQ" verify "$run" > /dev/null || fail "the run does not verify"
echo "  system + user files: register, out and language taken; the run verifies"

# 2. --config FILE over both, and typed options over everything; the
# session fails fast on a missing port (status 4) after making its out
(cd "$tmp/work" && "$CALDAQ" session --profile "$BAL" --port "$tmp/none" --batch \
    --config "$tmp/other/caldaq.yaml") > "$tmp/s2.out" 2>&1 && fail "no port accepted"
grep -q "^Calibration: " "$tmp/s2.out" || { show "$tmp/s2.out"; fail "--config: not in English"; }
(cd "$tmp/work" && "$CALDAQ" --config "$tmp/other/caldaq.yaml" session --profile "$BAL" \
    --port "$tmp/none" --batch --lang vi --out typed-out) > "$tmp/s3.out" 2>&1 && fail "no port accepted"
grep -q "^Hiệu chuẩn: " "$tmp/s3.out" || { show "$tmp/s3.out"; fail "typed --lang did not win"; }
[ -d "$tmp/work/typed-out" ] || fail "typed --out did not win"
echo "  --config FILE over the others (before or after the command), typed options over all"

# 3. errors name the file and line; nothing starts
refused() { # refused NAME STATUS TEXT COMMAND...
    local name=$1 want=$2 text=$3
    shift 3
    set +e
    (cd "$tmp/work" && "$@") > "$tmp/$name.out" 2> "$tmp/$name.err"
    local rc=$?
    set -e
    [ "$rc" -eq "$want" ] || { show "$tmp/$name.err"; fail "$name: status $rc, not $want"; }
    grep -qF -- "$text" "$tmp/$name.err" || { show "$tmp/$name.err"; fail "$name: message"; }
    [ ! -s "$tmp/$name.out" ] || { show "$tmp/$name.out"; fail "$name: something started"; }
}
printf 'out: runs\nlab: lab.yaml\nstandard: x.yaml\n' > "$tmp/bad-key.yaml"
refused bad-key 1 "bad-key.yaml:3: the configuration: unknown key 'standard' (known: lab, standards, records, lang, out)" \
    "$CALDAQ" session --profile "$BAL" --port "$tmp/bal" --config "$tmp/bad-key.yaml"
printf 'lang: fr\n' > "$tmp/bad-lang.yaml"
refused bad-lang 1 "bad-lang.yaml:1: lang must be vi or en, not 'fr'" \
    "$CALDAQ" session --profile "$BAL" --port "$tmp/bal" --config "$tmp/bad-lang.yaml"
printf 'out: [a, b]\n' > "$tmp/bad-type.yaml"
refused bad-type 1 "bad-type.yaml:1: out must be a file name or a value, not a list" \
    "$CALDAQ" session --profile "$BAL" --port "$tmp/bal" --config "$tmp/bad-type.yaml"
printf 'out: "runs\n' > "$tmp/bad-yaml.yaml"
refused bad-yaml 1 "bad-yaml.yaml:1: YAML syntax error" \
    "$CALDAQ" session --profile "$BAL" --port "$tmp/bal" --config "$tmp/bad-yaml.yaml"
refused missing 1 "$tmp/nothing.yaml: cannot open" \
    "$CALDAQ" session --profile "$BAL" --port "$tmp/bal" --config "$tmp/nothing.yaml"
refused not-used 2 "--config: caldaq gum takes nothing from a configuration file" \
    "$CALDAQ" gum examples/gauge-block.yaml --config "$tmp/other/caldaq.yaml"
printf 'lang: de\n' > "$user"
refused bad-user 1 "$user:1: lang must be vi or en, not 'de'" \
    "$CALDAQ" session --profile "$BAL" --port "$tmp/bal"
# --help works whatever the files say
"$CALDAQ" session --help > "$tmp/help.out" || fail "--help with a broken configuration"
grep -q "^usage: caldaq session" "$tmp/help.out" || fail "--help: no usage"
echo "  errors: FILE:LINE for an unknown key, a bad language, a list, broken YAML; missing --config; --config where unused"
echo "config.sh: ok"
