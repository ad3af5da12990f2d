#!/usr/bin/env bash
# End to end: dates are decided in the lab's time zone (issue 14, section 3).
# A standard's due date was checked against the machine's local date, so a
# bench PC left on UTC in Viet Nam accepted a standard for seven hours
# after it fell due; a mistyped TZ was silently taken as UTC. Now the zone
# is LAB.yaml's time_zone (default Asia/Ho_Chi_Minh), sessions take
# --lab LAB.yaml, and a zone that is not one is refused, in LAB.yaml with
# its line, in TZ before any command runs.
source "$(dirname "$0")/common.bash"
export TZ=UTC

"$CALDAQ" cert --keygen "$tmp/lab.key" > /dev/null
lab() { # NAME ZONE: a LAB.yaml with time_zone ZONE ("" leaves it out)
    sed -e "s|^signing_key: .*|signing_key: $tmp/lab.key|" examples/lab-example.yaml > "$tmp/$1.yaml"
    [ -z "$2" ] || echo "time_zone: \"$2\"" >> "$tmp/$1.yaml"
}
# UTC+14 and UTC-12 are 26 hours apart: their dates always differ.
lab east "Etc/GMT-14"
lab west "Etc/GMT+12"
lab typo "Asia/Hanoi_Typo"
today_west=$(TZ=Etc/GMT+12 date +%F)

# --- an invalid TZ is refused, whatever the command --------------------------
for tz in Foo/Bar Asia/Hanoi_Typo ICT ../../etc/passwd; do
    set +e
    TZ=$tz "$CALDAQ" standards check tests/fixtures/standards/example-lab-fixed-dates.yaml --on 2026-01-01 \
        > /dev/null 2> "$tmp/tz.err"
    rc=$?
    set -e
    [ "$rc" -eq 2 ] || { cat "$tmp/tz.err" >&2; fail "TZ=$tz: status $rc, not 2"; }
    grep -qF "TZ=$tz: time zone" "$tmp/tz.err" || { cat "$tmp/tz.err" >&2; fail "TZ=$tz: not named"; }
done
echo "  TZ=Foo/Bar (and 3 more): refused, status 2: $(head -n 1 "$tmp/tz.err" | cut -c1-100)"
for tz in Asia/Ho_Chi_Minh :Asia/Ho_Chi_Minh UTC0 "<+07>-7" ""; do
    TZ=$tz "$CALDAQ" standards check tests/fixtures/standards/example-lab-fixed-dates.yaml --on 2026-01-01 \
        > /dev/null || fail "TZ='$tz' refused"
done

# --- LAB.yaml's time_zone: refused with its line ---------------------------------
line=$(grep -n '^time_zone' "$tmp/typo.yaml" | cut -d: -f1)
set +e
"$CALDAQ" verify "$tmp" --lab "$tmp/typo.yaml" > /dev/null 2> "$tmp/typo.err"
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "time_zone Asia/Hanoi_Typo: status $rc"
grep -q "typo.yaml:$line: time_zone: time zone 'Asia/Hanoi_Typo': no such zone" "$tmp/typo.err" \
    || { cat "$tmp/typo.err" >&2; fail "time_zone Asia/Hanoi_Typo: not said with its line"; }
echo "  LAB.yaml time_zone Asia/Hanoi_Typo: $(cut -c1-110 "$tmp/typo.err")"

# --- sessions: the due date against today in the lab's zone ------------------------
# A register whose every standard is due today in UTC-12: still in date
# there, already past it in UTC+14.
sed -e "s/due: 20[0-9][0-9]-[0-9-]*/due: $today_west/" tests/traces/standards.yaml > "$tmp/reg.yaml"
replay() { # OUT LAB: replay the recorded balance session with --lab LAB
    mkdir -p "$tmp/$1"
    "$CALDAQ" replay tests/traces/balance-mtsics.trace --profile profiles/balance-cg18-class-ii.yaml \
        --driver mtsics --standards "$tmp/reg.yaml" --fast --out "$tmp/$1" --lab "$2"
}
set +e
replay runs-east "$tmp/east.yaml" > "$tmp/east.out" 2>&1
rc=$?
set -e
[ "$rc" -eq 1 ] || { cat "$tmp/east.out" >&2; fail "a lab in UTC+14: status $rc, not 1"; }
grep -q "was due for calibration on $today_west" "$tmp/east.out" \
    || { cat "$tmp/east.out" >&2; fail "a lab in UTC+14: the due date not said"; }
echo "  a lab in UTC+14: a standard due $today_west is refused"
replay runs-west "$tmp/west.yaml" > "$tmp/west.out" 2>&1 \
    || { cat "$tmp/west.out" >&2; fail "a lab in UTC-12: a standard due today refused"; }
"$PY" - "$(ls "$tmp"/runs-west/*.h5)" <<'PY'
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    lab = f.attrs["lab"]
    lab = lab.decode() if isinstance(lab, bytes) else lab
    assert lab.startswith("Trung tâm Khoa học"), lab
PY
echo "  a lab in UTC-12: the same standard is in date; the run records the lab's name"
# Without --lab: the default zone, Asia/Ho_Chi_Minh, not TZ. Here TZ is
# UTC-12; the two dates differ except from 12:00 to 17:00 UTC.
if [ "$(TZ=Asia/Ho_Chi_Minh date +%F)" != "$today_west" ]; then
    set +e
    TZ=Etc/GMT+12 "$CALDAQ" replay tests/traces/balance-mtsics.trace \
        --profile profiles/balance-cg18-class-ii.yaml --driver mtsics --standards "$tmp/reg.yaml" \
        --fast --out "$tmp/runs-east" > "$tmp/default.out" 2>&1
    rc=$?
    set -e
    [ "$rc" -eq 1 ] || { cat "$tmp/default.out" >&2; fail "no --lab, TZ UTC-12: status $rc, not 1"; }
    echo "  no --lab, TZ=Etc/GMT+12: due dates still decided in Asia/Ho_Chi_Minh"
fi
echo "timezone.sh: ok"
