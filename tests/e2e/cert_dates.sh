#!/usr/bin/env bash
# End to end: a certificate's dates (issue 14, section 3). `--issued
# 2000-01-01` for a calibration made today was accepted, as was an item
# received after its calibration or a certificate dated next year. Now
# received <= calibrated <= issued <= today, each in the lab's time zone
# (LAB.yaml time_zone), and a refusal names the option to change.
source "$(dirname "$0")/common.bash"
export TZ=UTC

"$CALDAQ" cert --keygen "$tmp/lab.key" > /dev/null
lab() { # NAME ZONE
    sed -e "s|^signing_key: .*|signing_key: $tmp/lab.key|" examples/lab-example.yaml > "$tmp/$1.yaml"
    [ -z "$2" ] || echo "time_zone: \"$2\"" >> "$tmp/$1.yaml"
}
lab lab ""
lab east "Etc/GMT-14"
lab west "Etc/GMT+12"
mkdir -p "$tmp/runs"
"$CALDAQ" replay tests/traces/balance-mtsics.trace --profile profiles/balance-cg18-class-ii.yaml \
    --driver mtsics --standards tests/traces/standards.yaml --fast --out "$tmp/runs" > /dev/null \
    || fail "replay"
run=$(ls "$tmp"/runs/*.h5)
n=0
cert() { # LAB OPTION...: issue into a fresh folder; the JSON path in $json
    local lab=$1
    shift
    n=$((n + 1))
    json="$tmp/out$n/D-$n.json"
    "$CALDAQ" cert "$run" --out "$tmp/out$n" --lab "$tmp/$lab.yaml" --item-serial SN-1 \
        --number "D-$n" --format json "$@"
}
refused() { # WHAT TEXT LAB OPTION...
    local what=$1 text=$2
    shift 2
    set +e
    cert "$@" > /dev/null 2> "$tmp/err"
    local rc=$?
    set -e
    [ "$rc" -eq 1 ] || { cat "$tmp/err" >&2; fail "$what: status $rc, not 1"; }
    grep -qF -- "$text" "$tmp/err" || { cat "$tmp/err" >&2; fail "$what: the message lacks '$text'"; }
    [ ! -e "$json" ] || fail "$what: a certificate was written"
    echo "  $what: $(cut -c1-120 "$tmp/err")"
}
field() { "$PY" -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$json" "$1"; }

# The defaults: calibrated the run's day, issued today, both in Asia/Ho_Chi_Minh.
cert lab > /dev/null || fail "the default dates"
cal=$(field calibrated)
today=$(field issued)
[ "$cal" = "$(TZ=Asia/Ho_Chi_Minh date +%F -d "$("$PY" -c "
import h5py,sys
with h5py.File(sys.argv[1],'r') as f:
    s=f.attrs['started']; print(s.decode() if isinstance(s,bytes) else s)" "$run")")" ] \
    || fail "calibrated $cal is not the run's start in Asia/Ho_Chi_Minh"
day() { date -u +%F -d "$1 $2 days"; }

refused "--issued 2000-01-01" "--issued 2000-01-01 is before the calibration on $cal" lab --issued 2000-01-01
refused "--issued the day before" "--issued $(day "$cal" -1) is before the calibration" lab --issued "$(day "$cal" -1)"
refused "--issued tomorrow" "--issued $(day "$today" 1) is after today, $today in Asia/Ho_Chi_Minh" lab --issued "$(day "$today" 1)"
refused "--received after the calibration" "--received $(day "$cal" 1) is after the calibration on $cal" \
    lab --received "$(day "$cal" 1)" --issued "$today"
cert lab --received "$(day "$cal" -3)" --issued "$cal" > /dev/null || fail "received <= calibrated = issued refused"
cert lab --received "$cal" --issued "$today" > /dev/null || fail "received = calibrated, issued today refused"
echo "  received <= calibrated <= issued <= today: accepted"

# The lab's zone decides: UTC+14 is always a day or two ahead of UTC-12.
east_today=$(TZ=Etc/GMT-14 date +%F)
refused "--issued today in UTC+14 for a lab in UTC-12" "is after today" west --issued "$east_today"
grep -q "in Etc/GMT+12" "$tmp/err" || fail "the lab's zone is not named"
cert east --issued "$east_today" > /dev/null || fail "a lab in UTC+14: today there refused"
"$PY" - "$run" "$json" <<'PY'
import datetime, h5py, json, sys
with h5py.File(sys.argv[1], "r") as f:
    s = f.attrs["started"]
    s = s.decode() if isinstance(s, bytes) else s
east = datetime.timezone(datetime.timedelta(hours=14))
want = datetime.datetime.fromisoformat(s).astimezone(east).date().isoformat()
got = json.load(open(sys.argv[2]))["calibrated"]
assert got == want, f"calibrated {got}, the run's start in UTC+14 is {want}"
PY
echo "  a lab in UTC+14: issued today there, calibrated the run's start there"
echo "cert_dates.sh: ok"
