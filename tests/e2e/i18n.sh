#!/usr/bin/env bash
# Vietnamese everywhere (issue 20, docs/i18n.md):
#  1. po/vi.po translates every message of the sources, none fuzzy, none
#     left over: the template is made afresh from the sources here, so a new
#     _() text without its Vietnamese fails this test;
#  2. a fixed set of commands run under --lang vi — every command's --help,
#     their usual error paths (a missing file, an unknown option, a bad
#     value), demo, show, analyze, profile check, standards check, gum, fit —
#     says no English sentence: no run of three or more English words of
#     which one is a common English word ("the", "is", "not", ...) or three
#     are words of caldaq's English output ("nominal mean error"), once
#     quoted text, file names, option names, numbers and identifiers are
#     set aside. Each offending line is printed with its command;
#  3. --lang is taken before and after the command, and LANG/LANGUAGE
#     decide without it.
# Needs CALDAQ, msgfmt, msgcmp and xgettext (gettext).
source "$(dirname "$0")/common.bash"
root=$(cd "$(dirname "$0")/../.." && pwd)
for tool in msgfmt msgcmp xgettext; do
    command -v "$tool" > /dev/null || fail "$tool is missing (Debian package gettext)"
done

# ---- 1. the catalogue
stats=$(msgfmt --check --statistics -o /dev/null "$root/po/vi.po" 2>&1) ||
    fail "msgfmt --check po/vi.po: $stats"
echo "  msgfmt: $stats"
case "$stats" in
*untranslated* | *fuzzy*) fail "po/vi.po is not complete: $stats" ;;
*" translated message"*) ;;
*) fail "msgfmt said: $stats" ;;
esac
# the template as `make pot` makes it, from the sources as they are now
(cd "$root" && find common uncertainty profiles drivers daq -name '*.[ch]' | LC_ALL=C sort |
    xargs xgettext --from-code=UTF-8 --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 \
        --add-comments=TRANSLATORS: \
        --package-name=caldaq --msgid-bugs-address= --sort-by-file -o "$tmp/caldaq.pot" \
        2> "$tmp/xgettext.err") || fail "xgettext: $(cat "$tmp/xgettext.err")"
# every message of the sources has its translation (untranslated and fuzzy
# ones count as missing) ...
msgcmp "$root/po/vi.po" "$tmp/caldaq.pot" > "$tmp/msgcmp.out" 2>&1 ||
    fail "messages of the sources without Vietnamese in po/vi.po (make pot, then translate):
$(cat "$tmp/msgcmp.out")"
# ... and po/vi.po holds no message the sources no longer have
msgcmp --use-untranslated "$tmp/caldaq.pot" "$root/po/vi.po" > "$tmp/msgcmp2.out" 2>&1 ||
    fail "po/vi.po has messages the sources no longer use (msgmerge po/vi.po po/caldaq.pot):
$(cat "$tmp/msgcmp2.out")"
n=$(grep -c '^msgid ' "$tmp/caldaq.pot")
echo "  every one of the $((n - 1)) messages of the sources is translated"

# ---- 2. no English sentence under --lang vi
# Common English words: a run of three or more ASCII words with one of these
# in it is a sentence left in English. Vietnamese written without diacritics
# has none of them three in a row.
stop=" the a an of to in is are was be not no and or for with by on at from this that it its
      must give given cannot can has have take takes only than as when which what where here
      there use used uses file found missing unknown expected should will would into after
      before each every any all none one two more most less least about also but if then "
# Words of caldaq's English output: three of them in a row (or with common
# words among them) are a line left in English, such as a table heading.
dict=" nominal mean error verdict pass fail decision rule simple repeatability eccentricity
      density reading readings point points standard certificate calibration verification
      instrument reference profile result results uncertainty expanded coverage factor
      degrees freedom interval input output share value unit status complete incomplete
      measured stable settling temperature humidity pressure largest conditions environment
      load range resolution tolerance budget check checked left days trials seed "
# Words that stay as they are in Vietnamese text: names of programs, units,
# standards, formats (they break a run, as a number does).
keep=" caldaq Monte Carlo GUM JCGM EURAMET OIML DKD ASME ĐLVN PTB DCC XML JSON CSV PDF YAML
      HDF5 SQLite Ed25519 SHA TZif POSIX UTC Modbus RTU TCP USB Callendar Van Dusen PRT PACE
      Druck Mettler Toledo Excellence Sartorius Fluke Keller Lobaro Ubuntu Linux Mint CI "
scan() { # COMMAND-TEXT FILE: print the lines of FILE with an English run
    awk -v cmd="$1" -v stop="$stop" -v dict="$dict" -v keep="$keep" '
    BEGIN {
        n = split(stop, s, /[ \n]+/); for (i = 1; i <= n; i++) if (s[i] != "") st[s[i]] = 1
        n = split(keep, k, /[ \n]+/); for (i = 1; i <= n; i++) if (k[i] != "") kp[k[i]] = 1
        n = split(dict, d, /[ \n]+/); for (i = 1; i <= n; i++) if (d[i] != "") dc[d[i]] = 1
    }
    {
        line = $0
        # the audit log of a run as `show` lists it: records stored in the
        # run stay as they were written (their hashes chain them)
        if (line ~ /^ +[0-9]+  [0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T/) next
        t = line
        gsub(/"[^"]*"/, " ", t)        # quoted text: values, file contents
        gsub(/\047[^\047]*\047/, " ", t) # single-quoted: names, values
        gsub(/`[^`]*`/, " ", t)        # commands
        m = split(t, w, /[ \t]+/)
        run = 0; hit = 0; known = 0; bad = 0
        for (i = 1; i <= m + 1; i++) {
            x = (i <= m) ? w[i] : ""
            gsub(/^[(\[{<,.:;!?]+|[)\]}>,.:;!?]+$/, "", x)
            # FILE, REG, DATE: placeholders of a usage line, not words
            english = (x ~ /^[A-Za-z]+$/) && x !~ /^[A-Z][A-Z]+$/ && !(x in kp)
            if (english) {
                run++
                if (tolower(x) in st) hit++
                if ((tolower(x) in st) || (tolower(x) in dc)) known++
            }
            if (!english || i > m) {
                if (run >= 3 && (hit >= 1 || known >= 3)) bad = 1
                run = 0; hit = 0; known = 0
            }
        }
        if (bad) printf "%s: %s\n", cmd, line
    }' "$2"
}
found=0
check() { # [-s STATUS] COMMAND...: run under --lang vi, scan stdout and stderr
    local want=any rc=0
    if [ "$1" = -s ]; then want=$2; shift 2; fi
    (cd "$tmp/work" && timeout 300 "$@" > "$tmp/out" 2>&1 < /dev/null) || rc=$?
    if [ "$want" != any ] && [ "$rc" -ne "$want" ]; then
        fail "$*: exit $rc, expected $want: $(head -c 600 "$tmp/out")"
    fi
    [ "$rc" -ne 124 ] || fail "$*: timed out"
    local what=${*#"$CALDAQ "}
    scan "caldaq $what" "$tmp/out" > "$tmp/bad"
    if [ -s "$tmp/bad" ]; then
        cat "$tmp/bad" >&2
        found=$((found + $(wc -l < "$tmp/bad")))
    fi
    checked=$((checked + 1))
}
checked=0
mkdir "$tmp/work" "$tmp/scratch"
export TMPDIR=$tmp/scratch
unset LANGUAGE LC_ALL LC_MESSAGES
export LANG=C
V=(--lang vi)

check -s 0 "$CALDAQ" "${V[@]}" --help
check -s 2 "$CALDAQ" "${V[@]}"
check -s 2 "$CALDAQ" "${V[@]}" no-such-command
LANGUAGE=vi check -s 2 "$CALDAQ" --lang xx --help
LANGUAGE=vi check -s 2 "$CALDAQ" gum --help --lang
commands="gum fit ports read decode acquire show export trace verify sim standards profile session
          replay reprocess cert records analyze demo raw serve"
for c in $commands; do
    check -s 0 "$CALDAQ" "${V[@]}" "$c" --help
    check -s 2 "$CALDAQ" "$c" --no-such-option "${V[@]}"
done
check -s 0 "$CALDAQ" "${V[@]}" profile check --help
check -s 0 "$CALDAQ" "${V[@]}" standards check --help
# missing files
for c in gum fit show analyze verify export trace; do
    args=("$tmp/none.yaml")
    [ "$c" = export ] && args+=(--csv)
    check -s 1 "$CALDAQ" "${V[@]}" "$c" "${args[@]}"
done
check -s 1 "$CALDAQ" "${V[@]}" profile check "$tmp/none.yaml"
check -s 1 "$CALDAQ" "${V[@]}" standards check "$tmp/none.yaml"
check -s 1 "$CALDAQ" "${V[@]}" replay "$tmp/none.trace" --profile "$root/profiles/dmm-dcv-6half.yaml" \
    --out "$tmp/work"
# missing arguments and bad values
for c in gum fit show analyze profile standards replay cert acquire session read raw; do
    check -s 2 "$CALDAQ" "${V[@]}" "$c"
done
check -s 2 "$CALDAQ" "${V[@]}" gum "$root/examples/gauge-block.yaml" --mcm lots
check -s 2 "$CALDAQ" "${V[@]}" gum "$root/examples/gauge-block.yaml" --coverage 2
check -s 2 "$CALDAQ" "${V[@]}" fit "$tmp/none.csv" --degree 9
check -s 2 "$CALDAQ" "${V[@]}" standards check "$root/profiles/standards/example-lab.yaml" --on 2026-13-45
check -s 2 "$CALDAQ" "${V[@]}" session --profile "$root/profiles/dmm-dcv-6half.yaml" --lang fr
check -s 2 "$CALDAQ" "${V[@]}" acquire --driver mtsics --port /dev/null --points x
check -s 2 "$CALDAQ" "${V[@]}" sim mtsics --tcp 99999
# a bad model, a bad profile: errors that name a line
printf 'model: a +\ninputs:\n  - {name: a, value: 1, u: x}\n' > "$tmp/work/bad.yaml"
check -s 1 "$CALDAQ" "${V[@]}" gum bad.yaml
printf 'caldaq_profile: 1\nname: x\n' > "$tmp/work/badprof.yaml"
check -s 1 "$CALDAQ" "${V[@]}" profile check badprof.yaml
printf 'x,y\n1,2\n2,4.1\n3,abc\n' > "$tmp/work/bad.csv"
check -s 1 "$CALDAQ" "${V[@]}" fit bad.csv
# what works
check -s 0 "$CALDAQ" "${V[@]}" gum "$root/examples/gauge-block.yaml"
printf 'x,y\n1,2.01\n2,3.98\n3,6.02\n4,8.01\n' > "$tmp/work/line.csv"
check -s 0 "$CALDAQ" "${V[@]}" fit line.csv --at 2.5
check -s 0 "$CALDAQ" "${V[@]}" profile check "$root/profiles/balance-cg18-class-ii.yaml" --no-standards
check "$CALDAQ" "${V[@]}" profile check "$root/profiles/verification-dial-gauge-dlvn08.yaml"
# the register's descriptions are the lab's own text: the example gives
# "Vietnamese / English", the copy checked here only the Vietnamese
sed -e 's| / [A-Z][^"]*"|"|' "$root/profiles/standards/example-lab.yaml" > "$tmp/work/reg.yaml"
check "$CALDAQ" "${V[@]}" standards check reg.yaml --on 2026-01-01
check -s 0 "$CALDAQ" "${V[@]}" demo --out runs
run=$(ls "$tmp"/work/runs/*.h5)
check -s 0 "$CALDAQ" "${V[@]}" show "$run"
check -s 0 "$CALDAQ" "${V[@]}" analyze "$run"
check -s 0 "$CALDAQ" show "$run" --lang vi
[ "$found" -eq 0 ] || fail "$found line(s) in English under --lang vi (above)"
echo "  $checked commands under --lang vi: no English sentence"

# The demo's Vietnamese, and its numbers with the decimal comma.
(cd "$tmp/work" && "$CALDAQ" --lang vi demo --out runs3) > "$tmp/demo"
grep -q "Hiệu chuẩn xong. Tệp dữ liệu đo:" "$tmp/demo" || fail "the demo is not in Vietnamese"
grep -q "Kết luận chung: ĐẠT" "$tmp/demo" || fail "no verdict in Vietnamese"
grep -q "Điều kiện môi trường: 20,5 °C, 45 %RH" "$tmp/demo" || fail "no decimal comma in the conditions"
grep -qE '^ +220 g +220 +-?[0-9]+(,[0-9]+)?(e-0[0-9])? +0,00[0-9]+ +2,[0-9]+ +0,015  ĐẠT' "$tmp/demo" ||
    fail "the verdict table has no decimal comma: $(grep ' 220 g ' "$tmp/demo")"
grep -q "kết quả = (50000839 ± 92) nm" "$tmp/demo" || fail "the GUM part is not in Vietnamese"

# The lab's decimal sign reaches the screen: a session (here a replay of a
# recorded balance session) under --lang vi with a LAB.yaml saying
# decimal_separator: point shows 100.000 g; the lab's default, the comma.
sed 's/^# decimal_separator: comma/decimal_separator: point/' "$root/examples/lab-example.yaml" > "$tmp/lab-point.yaml"
grep -q '^decimal_separator: point' "$tmp/lab-point.yaml" || fail "examples/lab-example.yaml lost its decimal_separator line"
for sep in point comma; do
    lab=$root/examples/lab-example.yaml
    [ "$sep" = point ] && lab=$tmp/lab-point.yaml
    mkdir -p "$tmp/sep-$sep"
    "$CALDAQ" --lang vi replay "$root/tests/traces/balance-mtsics.trace" --profile "$root/profiles/balance-cg18-class-ii.yaml" \
        --driver mtsics --standards "$root/tests/traces/standards.yaml" --fast --lab "$lab" --out "$tmp/sep-$sep" \
        > "$tmp/sep-$sep.out" 2>&1 || fail "replay with the $sep lab: $(tail -3 "$tmp/sep-$sep.out")"
done
grep -qE '^  100\.000 g$' "$tmp/sep-point.out" || fail "decimal_separator: point did not reach the screen: $(grep -m2 ' g$' "$tmp/sep-point.out")"
grep -qE '^  100,000 g$' "$tmp/sep-comma.out" || fail "the Vietnamese screen's default comma is gone: $(grep -m2 ' g$' "$tmp/sep-comma.out")"
echo "  the lab's decimal_separator decides the Vietnamese screen's sign"

# ---- 3. where --lang goes, and the environment
"$CALDAQ" gum --help --lang vi | grep -q "^cách dùng: caldaq gum" || fail "gum --help --lang vi"
"$CALDAQ" --lang=vi gum --help | grep -q "^cách dùng: caldaq gum" || fail "--lang=vi gum --help"
LANG=vi_VN.UTF-8 "$CALDAQ" gum --help | grep -q "^cách dùng:" || fail "LANG=vi_VN.UTF-8"
LANGUAGE=vi "$CALDAQ" gum --help | grep -q "^cách dùng:" || fail "LANGUAGE=vi"
LANG=vi_VN.UTF-8 "$CALDAQ" --lang en gum --help | grep -q "^usage: caldaq gum" ||
    fail "--lang en does not override LANG=vi_VN.UTF-8"
LC_ALL=C LANG=vi_VN.UTF-8 "$CALDAQ" gum --help | grep -q "^usage: caldaq gum" ||
    fail "LC_ALL=C does not come before LANG"
"$CALDAQ" gum --help | grep -q "^usage: caldaq gum" || fail "English is not the default"
# data stay with the decimal point whatever the language
"$CALDAQ" --lang vi gum "$root/examples/gauge-block.yaml" --json > "$tmp/gum.json"
grep -q '"y": 50000838\.6' "$tmp/gum.json" || fail "the JSON of gum --lang vi changed: $(head -c 300 "$tmp/gum.json")"
"$CALDAQ" --lang vi export "$run" --csv | sed -n 2p | grep -qE '^[0-9]+\.[0-9]+,[0-9]+,[0-9]+,[a-z-]+,[0-9]+,[0-9]+\.[0-9]+,g,' ||
    fail "the CSV export under --lang vi lost its decimal point"
echo "i18n.sh: ok"
