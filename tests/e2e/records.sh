#!/usr/bin/env bash
# End to end: the lab's records (issue 17), the same checks on SQLite and
# on a real PostgreSQL server started here (tests/e2e/postgres.bash):
# import of an archive (idempotent, a changed file reported), search, show
# and due with --json, the certificate lifecycle (a number never issued
# twice, amend, withdraw; ISO/IEC 17025 7.8.8) with the audit entries in
# the run, hostile search strings, the open-data export, a session (replay)
# recording its run, two writers at once losing nothing, and bad input to
# the new parsers naming the field.
# test-timeout: 300
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/postgres.bash"
GEN=${GEN_ARCHIVE:-tools/gen-archive}
pg_start

"$GEN" 12 "$tmp/archive" --seed 17 > /dev/null || fail "gen-archive"
"$GEN" 8 "$tmp/second" --seed 18 > /dev/null || fail "gen-archive (second)"
"$GEN" 8 "$tmp/third" --seed 19 > /dev/null || fail "gen-archive (third)"
"$CALDAQ" cert --keygen "$tmp/lab.key" > /dev/null
sed -e "s|^signing_key: .*|signing_key: $tmp/lab.key|" examples/lab-example.yaml > "$tmp/lab.yaml"
today=$("$PY" -c 'import datetime, zoneinfo; print(datetime.datetime.now(zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")).date())')
soon=$("$PY" -c "import datetime; print(datetime.date.fromisoformat('$today') + datetime.timedelta(days=10))")
later=$("$PY" -c "import datetime; print(datetime.date.fromisoformat('$today') + datetime.timedelta(days=200))")

# status WANT CMD...: run, keep stdout/stderr in $tmp/out, $tmp/err, check the status
status() {
    local want=$1
    shift
    set +e
    "$@" > "$tmp/out" 2> "$tmp/err"
    local rc=$?
    set -e
    [ "$rc" -eq "$want" ] || { cat "$tmp/err" >&2; fail "status $rc, not $want: $(printf "%.160s" "${*:2:3}")"; }
}
jq_py() { "$PY" -c "import json, sys; d = json.load(open('$tmp/out')); $1"; }

suite() { # NAME DB
    local name=$1 db=$2 dir="$tmp/$1"
    mkdir -p "$dir"
    echo "== $name"

    # --- import: idempotent; a changed file reported, not indexed again ----
    status 0 "$CALDAQ" records import "$tmp/archive" tests/traces/standards.yaml -j 2 --records "$db"
    grep -q "imported: 12 runs added, 0 already recorded; .* 4 standards; 0 changed" "$tmp/out" \
        || { cat "$tmp/out" >&2; fail "$name: first import"; }
    status 0 "$CALDAQ" records import "$tmp/archive" --records "$db"
    grep -q "imported: 0 runs added, 12 already recorded" "$tmp/out" || fail "$name: import twice"
    # a copy of the archive, one of its runs changed by a byte
    cp -r "$tmp/archive" "$dir/archive"
    status 0 "$CALDAQ" records import "$dir/archive" --records "$db"
    grep -q "0 runs added, 12 already recorded; .* 0 changed" "$tmp/out" || fail "$name: a copy of the archive"
    victim=$(find "$dir/archive" -name '*.h5' | sort | head -1)
    "$PY" -c "
import sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read()); b[-100] ^= 1; open(p, 'wb').write(b)" "$victim"
    status 1 "$CALDAQ" records import "$dir/archive" --records "$db"
    grep -q "$victim: changed since recorded" "$tmp/err" || { cat "$tmp/err" >&2; fail "$name: a changed run not reported"; }
    grep -q "1 changed since recorded" "$tmp/out" || fail "$name: the count of changed files"
    echo "  import: 12 runs and 4 standards, again: nothing new; a changed copy reported"

    # --- search, show --------------------------------------------------------
    status 0 "$CALDAQ" records search "" --records "$db" --json
    jq_py "assert len(d['runs']) == 12, len(d['runs'])"
    run=$(find "$tmp/archive" -name '*.h5' | sort | sed -n 2p)
    run_id=$(basename "$run" .h5)
    status 0 "$CALDAQ" records show "$run_id" --records "$db" --json
    jq_py "r = d['run']; assert r['run_id'] == '$run_id' and r['status'] == 'complete', r; assert len(r['standards']) >= 1"
    status 0 "$CALDAQ" records show "$run_id" --records "$db"
    grep -q "^run $run_id: complete" "$tmp/out" || { cat "$tmp/out" >&2; fail "$name: show table"; }
    echo "  search and show: $(head -1 "$tmp/out" | cut -c1-90)"

    # --- certificates: never twice, amend, withdraw --------------------------
    out="$dir/certs"
    status 0 "$CALDAQ" cert "$run" --out "$out" --lab "$tmp/lab.yaml" --number "C-$name-1" \
        --customer "Công ty O'Brien; DROP" --records "$db" --valid-until "$soon"
    status 1 "$CALDAQ" cert "$run" --out "$out" --lab "$tmp/lab.yaml" --number "C-$name-1" --records "$db"
    grep -q "certificate C-$name-1 was issued in .* already: a number is never issued twice" "$tmp/err" \
        || { cat "$tmp/err" >&2; fail "$name: re-issue in the same folder not refused"; }
    status 1 "$CALDAQ" cert "$run" --out "$dir/elsewhere" --lab "$tmp/lab.yaml" --number "C-$name-1" --records "$db"
    grep -q "certificate C-$name-1 exists in the records (valid)" "$tmp/err" \
        || { cat "$tmp/err" >&2; fail "$name: re-issue elsewhere not refused by the records"; }
    [ ! -e "$dir/elsewhere/C-$name-1.pdf" ] || fail "$name: files written for a refused number"
    echo "  a number issued twice is refused: $(cut -c1-100 "$tmp/err")"

    status 0 "$CALDAQ" records due --within 30d --records "$db" --json
    jq_py "assert [i['certificate'] for i in d['items']] == ['C-$name-1'], d['items']"
    # the same in Vietnamese: headings whole (cut by characters, not bytes),
    # the state, the status and the certificate's kind translated
    status 0 "$CALDAQ" --lang vi records due --within 30d --records "$db"
    grep -qE "^  tình trạng +đến +khách hàng +phương tiện +số sản xuất +giấy chứng nhận$" "$tmp/out" &&
        grep -qE "^  đến hạn +[0-9-]+ .* C-$name-1 \(hiệu chuẩn\)$" "$tmp/out" ||
        { cat "$tmp/out" >&2; fail "$name: records due in Vietnamese"; }
    status 0 "$CALDAQ" --lang vi records search "C-$name-1" --records "$db"
    grep -qE "^  C-$name-1 +còn hiệu lực [0-9-]+ .* đạt" "$tmp/out" ||
        { cat "$tmp/out" >&2; fail "$name: records search in Vietnamese"; }

    status 0 "$CALDAQ" cert "$run" --out "$out" --lab "$tmp/lab.yaml" --amend "C-$name-1" \
        --reason "customer's name misspelt" --customer "Công ty O'Brian" --records "$db"
    new="C-$name-1-A1"
    [ -f "$out/$new.pdf" ] || fail "$name: the amendment's files"
    pdftotext "$out/$new.pdf" "$dir/pdf.txt"
    tr '\n' ' ' < "$dir/pdf.txt" | grep "Replaces certificate No.*C-$name-1" > /dev/null \
        || fail "$name: the PDF does not say what it replaces"
    grep -q "customer's name misspelt" "$dir/pdf.txt" || fail "$name: the PDF's reason"
    grep -q "caldaq_amendment" "$out/$new.xml" || fail "$name: the XML does not say it amends"
    grep -q "replaces certificate C-$name-1. Reason: customer&apos;s name misspelt\|replaces certificate C-$name-1. Reason: customer's name misspelt" "$out/$new.xml" \
        || fail "$name: the XML's statement"
    "$PY" -c "import json; d = json.load(open('$out/$new.json')); assert d['amends'] == {'number': 'C-$name-1', 'reason': \"customer's name misspelt\"}, d['amends']"
    "$CALDAQ" verify "$out/$new.pdf" --pub "$tmp/lab.key.pub" --run "$run" > /dev/null \
        || fail "$name: the amendment does not verify against its run"
    status 0 "$CALDAQ" records show "C-$name-1" --records "$db" --json
    jq_py "c = d['certificate']; assert c['status'] == 'amended' and c['replaced_by'] == '$new', c"
    status 0 "$CALDAQ" records show "$new" --records "$db" --json
    jq_py "c = d['certificate']; assert c['status'] == 'valid' and c['replaces'] == 'C-$name-1' and c['valid_until'] == '$soon', c; assert len(c['files']) == 4"
    status 0 "$CALDAQ" records show "C-$name-1" --records "$db"
    grep -q "replaced by  $new: customer's name misspelt" "$tmp/out" || { cat "$tmp/out" >&2; fail "$name: show amended"; }
    status 1 "$CALDAQ" cert "$run" --out "$dir/again" --lab "$tmp/lab.yaml" --amend "C-$name-1" \
        --reason "twice" --records "$db"
    grep -q "the certificate is amended: only a valid one can be amended" "$tmp/err" \
        || { cat "$tmp/err" >&2; fail "$name: amending an amended certificate"; }
    echo "  amended: C-$name-1 -> $new, stated on PDF, XML and JSON; the old one names it"

    status 0 "$CALDAQ" cert --withdraw "$new" --reason "item returned unrepaired" --records "$db"
    status 0 "$CALDAQ" records show "$new" --records "$db" --json
    jq_py "c = d['certificate']; assert c['status'] == 'withdrawn' and c['reason'] == 'item returned unrepaired', c; kinds = [e['kind'] for e in c['events']]; assert 'certificate withdrawn' in kinds, kinds"
    status 1 "$CALDAQ" cert --withdraw "$new" --reason "again" --records "$db"
    grep -q "the certificate is withdrawn" "$tmp/err" || fail "$name: withdrawing twice"
    status 1 "$CALDAQ" cert --withdraw "NO-SUCH-1" --reason "x" --records "$db"
    grep -q "no such certificate" "$tmp/err" || fail "$name: withdrawing an unknown number"
    status 0 "$CALDAQ" records due --within 30d --records "$db" --json
    jq_py "assert d['items'] == [], d['items']"
    # the run's audit log: each issue, the amendment and the withdrawal
    "$CALDAQ" show "$run" > "$tmp/show"
    for what in "certificate C-$name-1 issued" "certificate $new issued, amending C-$name-1: customer's name misspelt" \
                "certificate $new withdrawn: item returned unrepaired"; do
        grep -qF "$what" "$tmp/show" || { grep -i certif "$tmp/show" >&2; fail "$name: no audit entry '$what'"; }
    done
    "$CALDAQ" verify "$run" > /dev/null || fail "$name: the run's audit chain"
    echo "  withdrawn; the run's audit log holds the issue, the amendment and the withdrawal"

    # --- certificates imported from their folder: recorded, idempotent -------
    status 0 "$CALDAQ" cert "$(find "$tmp/archive" -name '*.h5' | sort | sed -n 3p)" --out "$dir/loose" \
        --lab "$tmp/lab.yaml" --number "L-$name-1" --valid-until "$later"
    status 0 "$CALDAQ" records import "$dir/loose" "$out" --records "$db"
    grep -q "1 certificates added, 2 already recorded" "$tmp/out" || { cat "$tmp/out" "$tmp/err" >&2; fail "$name: certificates imported"; }
    status 0 "$CALDAQ" records import "$dir/loose" --records "$db"
    grep -q "0 certificates added, 1 already recorded" "$tmp/out" || fail "$name: certificate import twice"
    echo "  an issued certificate's folder imported once"

    # --- hostile search strings: data, never SQL ------------------------------
    for s in "'" '"' "%" "_" ";" "\\" "' OR '1'='1" "'; DROP TABLE runs; --" "SELECT * FROM certificates" \
             "O'Brien; DROP" "%'--" "\$1"; do
        status 0 "$CALDAQ" records search "$s" --records "$db" --json
    done
    status 0 "$CALDAQ" records search "%" --records "$db" --json
    jq_py "assert d['certificates'] == [] and d['runs'] == [], d"      # '%' is a character
    status 0 "$CALDAQ" records search "O'Brien; DROP" --records "$db" --json
    jq_py "assert [c['number'] for c in d['certificates']] == ['C-$name-1'], d['certificates']"
    status 0 "$CALDAQ" records search "" --customer "o'bri" --records "$db" --json
    jq_py "assert len(d['certificates']) == 2, d['certificates']"
    big=$(head -c 100000 /dev/zero | tr '\0' "'")
    status 0 "$CALDAQ" records search "$big" --records "$db" --json
    jq_py "assert d['certificates'] == [] and d['runs'] == []"
    status 0 "$CALDAQ" records search "" --records "$db" --json
    jq_py "assert len(d['runs']) == 12, len(d['runs'])"
    echo "  quotes, %, ;, SQL keywords, 100 kB of quotes: searched as text, the tables intact"

    # --- open data --------------------------------------------------------------
    status 0 "$CALDAQ" records export --open-data "$dir/open" --records "$db" --lab "$tmp/lab.yaml"
    [[ "$(head -1 "$dir/open/certificates.csv")" == lab,number,kind,status* ]] || fail "$name: CSV header"
    ! grep -q "O'Brien\|O'Brian\|customer" "$dir/open/certificates.csv" || fail "$name: personal data exported"
    "$PY" - "$dir/open" <<'EOF' || fail "open data"
import csv, json, sys
d = sys.argv[1]
rows = list(csv.DictReader(open(d + '/certificates.csv', encoding='utf-8')))
j = json.load(open(d + '/certificates.json'))
assert j['schema'] == 'caldaq-open-data/1' and len(j['certificates']) == len(rows) == 3, (len(rows), j)
assert {r['status'] for r in rows} == {'amended', 'withdrawn', 'valid'}, rows
assert all('customer' not in r and 'serial' not in r for r in j['certificates'])
s = json.load(open(d + '/standards.json'))['standards']
assert [x['id'] for x in s] == ['DPC-01', 'P-REF-01', 'W-E2-01', 'W-M1-01'], s
assert all(x['due'] and x['traceability'] for x in s), s
schema = json.load(open(d + '/schema.json'))
assert schema['schema'] == 'caldaq-open-data/1'
EOF
    sed -i '$a open_data_include: [customer]' "$tmp/lab.yaml"
    status 0 "$CALDAQ" records export --open-data "$dir/open2" --records "$db" --lab "$tmp/lab.yaml"
    grep -q "O'Brien; DROP" "$dir/open2/certificates.csv" || fail "$name: customer not included when named"
    sed -i '$d' "$tmp/lab.yaml"
    echo "  open data: CSV and JSON without personal data, the customer only when the lab names it"

    # --- two writers at once: every record present -------------------------------
    mkdir -p "$dir/runs"
    "$CALDAQ" records import "$tmp/second" --records "$db" > "$dir/w1.out" 2>&1 &
    local w1=$!
    "$CALDAQ" records import "$tmp/third" --records "$db" > "$dir/w2.out" 2>&1 &
    local w2=$!
    "$CALDAQ" replay tests/traces/balance-mtsics.trace --profile profiles/balance-cg18-class-ii.yaml \
        --driver mtsics --standards tests/traces/standards.yaml --fast --out "$dir/runs" \
        --records "$db" > "$dir/w3.out" 2>&1 &
    local w3=$!
    for p in $w1 $w2 $w3; do
        timeout_wait "$p" 120 || { cat "$dir"/w*.out >&2; fail "$name: a writer failed"; }
    done
    status 0 "$CALDAQ" records search "" --records "$db" --json --limit 1000
    jq_py "assert len(d['runs']) == 29, len(d['runs'])"
    session_run=$(basename "$(ls "$dir"/runs/*.h5)" .h5)
    status 0 "$CALDAQ" records show "$dir/runs/$session_run.h5" --records "$db" --json
    jq_py "assert d['run']['verdict'] != '' and d['run']['status'] == 'complete', d['run']"
    grep -q "Recorded in the lab's records" "$dir/w3.out" || fail "$name: the session did not say it recorded"
    echo "  two imports and a session at once: all 29 runs recorded"

    # --- two issuers racing for one number: one certificate -----------------------
    local r4
    r4=$(find "$tmp/archive" -name '*.h5' | sort | sed -n 4p)
    "$CALDAQ" cert "$r4" --out "$dir/race1" --lab "$tmp/lab.yaml" --number "R-$name" \
        --records "$db" > "$dir/r1.out" 2>&1 &
    w1=$!
    "$CALDAQ" cert "$r4" --out "$dir/race2" --lab "$tmp/lab.yaml" --number "R-$name" \
        --records "$db" > "$dir/r2.out" 2>&1 &
    w2=$!
    local won=0
    if timeout_wait "$w1" 120; then won=$((won + 1)); fi
    if timeout_wait "$w2" 120; then won=$((won + 1)); fi
    [ "$won" -eq 1 ] || { cat "$dir"/r*.out >&2; fail "$name: $won of two issuers of one number succeeded"; }
    grep -q "certificate R-$name exists in the records" "$dir"/r*.out || { cat "$dir"/r*.out >&2; fail "$name: the loser's message"; }
    [ "$(ls "$dir"/race*/R-"$name".manifest.json | wc -l)" -eq 1 ] || fail "$name: two issued certificates"
    echo "  two issuers racing for one number: one issued, the other refused"

    # --- reprocess --write-back: the records follow the runs ------------------------
    status 0 "$CALDAQ" reprocess "$tmp/second" --out "$dir/rp" --write-back --records "$db"
    ! grep -q records_error "$dir/rp/done.jsonl" || fail "$name: reprocess did not record"
    status 0 "$CALDAQ" records import "$tmp/second" --records "$db"
    grep -q "0 runs added, 8 already recorded; .* 0 changed" "$tmp/out" \
        || { cat "$tmp/out" "$tmp/err" >&2; fail "$name: the records did not follow the write-back"; }
    status 0 "$CALDAQ" records show "$(find "$tmp/second" -name '*.h5' | sort | head -1)" --records "$db" --json
    jq_py "assert any(e['who'] == 'caldaq reprocess' for e in d['run']['events']), d['run']['events']"
    echo "  reprocess --write-back records each run anew: an import after it finds nothing changed"
}

# timeout_wait PID SECONDS: the background job's status, killed after SECONDS
timeout_wait() {
    local pid=$1 n=$(($2 * 10))
    while kill -0 "$pid" 2> /dev/null && [ "$n" -gt 0 ]; do
        sleep 0.1
        n=$((n - 1))
    done
    if kill -0 "$pid" 2> /dev/null; then
        kill "$pid"
        return 1
    fi
    wait "$pid"
}

suite sqlite "$tmp/records.db"
suite postgresql "$PG_URL"

# --- bad input: the parsers name the field -------------------------------------
db="$tmp/records.db"
for w in 30x "" -1 d 99999999999d 40000d 3.5d; do
    status 2 "$CALDAQ" records due --within "$w" --records "$db"
    grep -q "records: --within: " "$tmp/err" || { cat "$tmp/err" >&2; fail "--within '$w' not named"; }
done
status 2 "$CALDAQ" records search x --from 2026-13-01 --records "$db"
grep -q -- "--from takes a calendar date" "$tmp/err" || fail "--from not named"
status 2 "$CALDAQ" records search x --to yesterday --records "$db"
grep -q -- "--to takes a calendar date" "$tmp/err" || fail "--to not named"
status 1 "$CALDAQ" records search x --records "http://example.org/db"
grep -q -- "--records: 'http://example.org/db': a URL must begin postgresql://" "$tmp/err" || { cat "$tmp/err" >&2; fail "--records URL"; }
status 1 "$CALDAQ" records search x --records "postgresql:///nosuch?host=$tmp/nowhere"
grep -q "cannot connect to PostgreSQL" "$tmp/err" || { cat "$tmp/err" >&2; fail "an unreachable server"; }
status 2 "$CALDAQ" records search x
grep -q "no records: give --records DB" "$tmp/err" || fail "no records"
status 2 "$CALDAQ" cert --withdraw X-1 --records "$db"
grep -q -- "--withdraw takes --reason TEXT" "$tmp/err" || fail "--withdraw without --reason"
status 2 "$CALDAQ" cert --withdraw "../x" --reason r --records "$db"
grep -q -- "--withdraw" "$tmp/err" || fail "--withdraw ../x not named"
status 1 "$CALDAQ" cert --withdraw X-1 --reason r
grep -q "a withdrawal is kept in the lab's records" "$tmp/err" || fail "--withdraw without records"
echo "  bad --within, --from, --to, --records, --withdraw: refused naming the field"
echo "records.sh: ok"
