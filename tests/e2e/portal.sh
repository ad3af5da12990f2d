#!/usr/bin/env bash
# End to end: caldaq serve (docs/portal.md) driven with curl: every route
# with its status code and the security headers; downloads byte for byte;
# bad parameters refused; methods other than GET/HEAD and the upload
# refused; the language by Accept-Language and ?lang= (the Vietnamese
# compiled from the branch's .po); the login off loopback (0.0.0.0 is not
# loopback): refused to start without one, 401 without it, Basic with the
# password and a bearer token accepted, /verify and /static public; a
# clean stop on SIGTERM.
# test-timeout: 200
source "$(dirname "$0")/portal.bash"
portal_setup
portal_locale
portal_start main --listen 127.0.0.1:0 --lab "$tmp/lab.yaml"
grep -q "loopback: no login" "$tmp/main.out" || fail "loopback: $(cat "$tmp/main.out")"

# code URL [CURL ARGS...]: the status, headers in $tmp/h, body in $tmp/b
code() {
    local url=$1
    shift
    curl -s --path-as-is --max-time 20 -D "$tmp/h" -o "$tmp/b" -w '%{http_code}' "$@" "$BASE$url" || true
}
expect() { # STATUS URL [CURL ARGS...]
    local want=$1 got
    shift
    last=$1
    got=$(code "$@")
    [ "$got" = "$want" ] || { head -c 600 "$tmp/b" >&2; fail "$1: status $got, not $want"; }
}
header() { grep -qi "^$1: $2" "$tmp/h" || { cat "$tmp/h" >&2; fail "$last: no '$1: $2'"; }; }
body() { grep -q -- "$1" "$tmp/b" || { head -c 2000 "$tmp/b" >&2; fail "$last: the page does not say '$1'"; }; }

# --- every route, its status and headers --------------------------------------
for url in / "/search?q=c-1" "/search?q=" "/run/$RUN_ID" /cert/C-1 /cert/C-1-A1 \
           /due "/due?within=6w" /standards /verify /verify/C-1 /verify/C-1-A1 /static/style.css; do
    expect 200 "$url"
    header Content-Security-Policy "default-src 'none'"
    header X-Content-Type-Options nosniff
    header X-Frame-Options DENY
    header Referrer-Policy no-referrer
    case $url in
    /static/*) header Content-Type text/css; header Cache-Control "public" ;;
    *) header Content-Type "text/html; charset=utf-8"; header Cache-Control no-store
       body '<html lang="en">'; grep -q '<script' "$tmp/b" && fail "$url: a script" ;;
    esac
done
echo "  13 routes: 200, CSP, nosniff, DENY, no-referrer, no-store (static: cached)"

# --- what they show ----------------------------------------------------------
expect 200 "/search?q=c-1"
body "C-1-A1"; body "Items and customers (2)"   # the amendment states no customer
expect 200 "/search?q=$RUN_ID"; body "href=\"/run/$RUN_ID"
body "Công ty O&#39;Brien &amp; Co &lt;b&gt;"     # escaped, never markup
grep -q "<b>" "$tmp/b" && fail "a customer's name went into the page as markup"
expect 200 "/run/$RUN_ID"
body "The run file is the one recorded"; body "Its content hashes and audit chain check"
body "<svg"; body 'class="mpe"'; body 'class="point"'; body "Audit trail"; body "certificate C-1"
body "Conditions"; body "Readings"
expect 200 /cert/C-1
body 'status amended'; body 'href="/cert/C-1-A1'; body "C-1.pdf"; body "certificate amended"
expect 200 /cert/C-1-A1
body 'status valid'; body "This certificate replaces"; body "the customer&#39;s name"
expect 200 /due
body "C-1-A1"      # valid until in 10 days, the amendment kept the date
expect 200 /standards
for id in $("$PY" -c "import sqlite3; print(' '.join(r[0] for r in sqlite3.connect('$tmp/records.db').execute('select id from standards')))"); do
    body "$id"
done
echo "  search, run (chart, audit, check), certificate (amended -> C-1-A1), due, standards: shown"

# --- downloads: the issued bytes ----------------------------------------------
for f in C-1-A1.pdf C-1-A1.xml C-1-A1.json C-1-A1.pdf.sig C-1-A1.manifest.json; do
    expect 200 "/cert/C-1-A1/$f"
    cmp -s "$tmp/b" "$tmp/certs/$f" || fail "/cert/C-1-A1/$f is not the issued file"
    header Content-Disposition "attachment; filename=\"$f\""
done
expect 200 /cert/C-1-A1/C-1-A1.pdf.sig; header Content-Type text/plain
expect 200 /cert/C-1-A1/C-1-A1.pdf; header Content-Type application/pdf
expect 404 /cert/C-1-A1/C-1.pdf             # another certificate's file
expect 404 /cert/C-1-A1/lab.key.pub
cp "$tmp/lab.key.pub" "$tmp/certs/C-1-A1.txt"
expect 404 /cert/C-1-A1/C-1-A1.txt          # in the folder, but not listed
expect 400 /cert/C-1-A1/..%2Flab.key
expect 400 "/cert/C-1-A1/.hidden"
echo "  downloads: byte for byte; unlisted files 404, odd names 400"

# --- bad parameters -------------------------------------------------------------
expect 400 /run/not-a-run
expect 404 /run/00000000-0000-0000-0000-000000000000
expect 400 "/cert/C%201"
expect 400 "/cert/C-1;drop"
expect 404 /cert/C-99
expect 404 /verify/C-99; body "No certificate C-99 was issued by this lab"
expect 400 "/verify/C-1'--"
expect 400 "/search?q=$("$PY" -c 'print("x" * 300)')"
expect 400 "/search?from=yesterday"
expect 400 "/due?within=forever"
expect 303 "/verify?number=C-1"; header Location "/verify/C-1?lang=en"
expect 400 "/verify?number=..%2Fetc"
expect 404 /nothing-here
expect 404 /static/other.css
echo "  bad ids, numbers, dates, periods, long searches: 400; unknown: 404"

# --- methods --------------------------------------------------------------------
expect 405 / -X PUT -d x
expect 405 /cert/C-1 -X DELETE
expect 405 /search -X POST -d q=x
expect 200 /verify/C-1 -I
expect 400 /verify/C-1 -X GET -d body
expect 415 /verify/C-1 -X POST -H 'Content-Type: application/octet-stream' --data-binary @"$tmp/certs/C-1.pdf"
expect 400 /verify/C-1 -F other=x
echo "  PUT/DELETE/POST elsewhere: 405; HEAD: 200; a GET with a body: 400; an upload not as a form: 415, without a file: 400"

# --- language ---------------------------------------------------------------------
expect 200 /verify/C-1 -H 'Accept-Language: vi-VN,vi;q=0.9,en;q=0.5'
body '<html lang="vi">'; body "đã sửa đổi"
expect 200 "/verify/C-1?lang=vi"; body '<html lang="vi">'; body "đã sửa đổi"
expect 200 "/verify/C-1?lang=en" -H 'Accept-Language: vi'; body '<html lang="en">'; body "amended"
expect 200 /verify/C-1 -H 'Accept-Language: fr, en;q=0.3, vi;q=0.8'; body '<html lang="vi">'
expect 200 /verify/C-1 -H 'Accept-Language: fr'; body '<html lang="en">'
echo "  language: Accept-Language (q), ?lang= over it, English otherwise"

portal_stop
grep -q "stopped (SIGTERM)" "$tmp/main.out" || fail "no clean stop"

# --- off loopback: a login ----------------------------------------------------------
set +e
"$CALDAQ" serve --listen 0.0.0.0:0 --lab "$tmp/lab-nologin.yaml" > "$tmp/o" 2> "$tmp/e"
rc=$?
set -e
[ "$rc" = 1 ] || fail "off loopback without a login: status $rc"
grep -q "is not loopback: the pages need a login" "$tmp/e" || { cat "$tmp/e" >&2; fail "the refusal"; }
portal_start open --listen 0.0.0.0:0 --lab "$tmp/lab.yaml"
grep -q "login required" "$tmp/open.out" || fail "0.0.0.0: $(cat "$tmp/open.out")"
for url in / "/search?q=" "/run/$RUN_ID" /cert/C-1 /cert/C-1/C-1.pdf /due /standards; do
    expect 401 "$url"
    header WWW-Authenticate 'Basic realm="caldaq"'
    header X-Frame-Options DENY
    grep -q "C-1-A1\|class=\"status\|Audit trail\|%PDF" "$tmp/b" && fail "$url: records shown without a login"
done
expect 401 / -u "lab:wrong password"
expect 401 / -H "Authorization: Bearer ${PORTAL_TOKEN}x"
expect 200 / -u "lab:$PORTAL_PASSWORD"
expect 200 /cert/C-1 -u "anyone:$PORTAL_PASSWORD"; body 'status amended'
expect 200 "/run/$RUN_ID" -H "Authorization: Bearer $PORTAL_TOKEN"
expect 200 /verify/C-1; body "amended"
expect 200 /verify
expect 200 /static/style.css
echo "  0.0.0.0: refused without portal: in LAB.yaml; 401 but /verify and /static; password and token accepted"
portal_stop

# --- arguments ------------------------------------------------------------------------
set +e
"$CALDAQ" serve --listen nowhere --lab "$tmp/lab.yaml" > "$tmp/o" 2> "$tmp/e"; rc1=$?
"$CALDAQ" serve --listen 127.0.0.1:70000 --lab "$tmp/lab.yaml" > "$tmp/o" 2> "$tmp/e2"; rc2=$?
"$CALDAQ" serve > "$tmp/o" 2> "$tmp/e3"; rc3=$?
"$CALDAQ" serve --records "$tmp/none.db" > "$tmp/o" 2> "$tmp/e4"; rc4=$?
echo short | "$CALDAQ" serve --hash-password > "$tmp/o" 2> "$tmp/e5"; rc5=$?
set -e
[ "$rc1" = 1 ] && grep -q -- "--listen: 'nowhere' is not ADDR:PORT" "$tmp/e" || fail "--listen nowhere: $rc1 $(cat "$tmp/e")"
[ "$rc2" = 1 ] && grep -q -- "--listen" "$tmp/e2" || fail "--listen port 70000: $rc2"
[ "$rc3" = 2 ] && grep -q "no records" "$tmp/e3" || fail "no records: $rc3 $(cat "$tmp/e3")"
[ "$rc4" = 1 ] && grep -q "none.db" "$tmp/e4" || fail "missing records: $rc4 $(cat "$tmp/e4")"
[ -f "$tmp/none.db" ] && fail "a records file was made by the read-only server"
[ "$rc5" = 1 ] && grep -q "at least 8 characters" "$tmp/e5" || fail "a short password: $rc5"
echo "  bad --listen, no or missing records, a short password: refused"
echo "portal.sh: ok"
