# Sourced by the portal's tests (tests/e2e/portal*.sh; not a test itself):
# a small archive imported into the records, a lab with verify_url and a
# login, certificate C-1 issued and then amended (C-1-A1), and
# portal_start, which runs `caldaq serve` on a free port (port 0: the
# system picks it, the server prints it) and waits for it, bounded.
source "$(dirname "$0")/common.bash"
GEN=${GEN_ARCHIVE:-tools/gen-archive}
PORTAL_PASSWORD="correct horse battery staple"
PORTAL_TOKEN=0123456789abcdef0123456789abcdef0123456789abcdef

need() { # TOOL PACKAGE: missing is a skip, or a failure under CI
    command -v "$1" > /dev/null && return 0
    echo "$(basename "$0"): needs $1 (apt-get install $2)" >&2
    [ "${CI:-}" = true ] && exit 1
    exit 77
}
need curl curl
# the command's own messages in English (the pages pick theirs per request)
export LC_ALL=C.UTF-8 LANGUAGE=en

portal_setup() {
    "$GEN" 3 "$tmp/archive" --seed 18 > /dev/null || fail "gen-archive"
    "$CALDAQ" cert --keygen "$tmp/lab.key" > /dev/null
    local hash
    hash=$(printf '%s\n' "$PORTAL_PASSWORD" | "$CALDAQ" serve --hash-password) || fail "--hash-password"
    case $hash in '$argon2id$'*) ;; *) fail "--hash-password printed '$hash'" ;; esac
    sed -e "s|^signing_key: .*|signing_key: $tmp/lab.key|" examples/lab-example.yaml > "$tmp/lab-nologin.yaml"
    printf 'records: %s/records.db\nverify_url: "https://lab.example.vn/verify/"\n' "$tmp" >> "$tmp/lab-nologin.yaml"
    cp "$tmp/lab-nologin.yaml" "$tmp/lab.yaml"
    printf 'portal:\n  password_hash: "%s"\n  tokens: [%s]\n' "$hash" "$PORTAL_TOKEN" >> "$tmp/lab.yaml"
    "$CALDAQ" records import "$tmp/archive" tests/traces/standards.yaml --lab "$tmp/lab.yaml" > /dev/null \
        || fail "records import"
    RUN=$(find "$tmp/archive" -name '*.h5' | sort | head -1)
    RUN_ID=$(basename "$RUN" .h5)
    local soon
    soon=$("$PY" -c 'import datetime; print(datetime.date.today() + datetime.timedelta(days=10))')
    "$CALDAQ" cert "$RUN" --out "$tmp/certs" --lab "$tmp/lab.yaml" --number C-1 \
        --customer "Công ty O'Brien & Co <b>" --valid-until "$soon" > /dev/null || fail "cert C-1"
    cp "$tmp/certs/C-1.pdf" "$tmp/C-1-original.pdf"
    "$CALDAQ" cert "$RUN" --out "$tmp/certs" --lab "$tmp/lab.yaml" --amend C-1 \
        --reason "the customer's name" > /dev/null || fail "amend C-1"
    [ -f "$tmp/certs/C-1-A1.pdf" ] || fail "no C-1-A1.pdf"
}

# portal_start NAME [ARGS...]: caldaq serve in the background; PORT, BASE,
# SERVE_PID set; its output in $tmp/NAME.out and .err
portal_start() {
    local name=$1
    shift
    "$CALDAQ" serve "$@" > "$tmp/$name.out" 2> "$tmp/$name.err" &
    SERVE_PID=$!
    pids+=("$SERVE_PID")
    for _ in $(seq 100); do
        grep -q "^listening on" "$tmp/$name.out" 2> /dev/null && break
        kill -0 "$SERVE_PID" 2> /dev/null || { cat "$tmp/$name.err" >&2; fail "$name: caldaq serve ended"; }
        sleep 0.05
    done
    grep -q "^listening on" "$tmp/$name.out" || fail "$name: caldaq serve does not say where it listens"
    PORT=$(sed -n 's|^listening on http://.*:\([0-9][0-9]*\)/.*|\1|p' "$tmp/$name.out")
    [ -n "$PORT" ] || fail "$name: no port in '$(cat "$tmp/$name.out")'"
    BASE=http://127.0.0.1:$PORT
}

# portal_stop: SIGTERM, a clean end within 10 s
portal_stop() {
    kill -TERM "$SERVE_PID"
    for _ in $(seq 200); do kill -0 "$SERVE_PID" 2> /dev/null || break; sleep 0.05; done
    kill -0 "$SERVE_PID" 2> /dev/null && fail "caldaq serve did not stop on SIGTERM"
    wait "$SERVE_PID" || fail "caldaq serve ended with status $? on SIGTERM"
}

# the Vietnamese of the portal's texts, compiled from the branch's .po
# (po/vi.po once merged) into a locale folder the server is pointed at
portal_locale() {
    need msgfmt gettext
    mkdir -p "$tmp/locale/vi/LC_MESSAGES"
    local po=po/NEW-issue18-portal.po
    [ -f "$po" ] || po=po/vi.po
    msgfmt -o "$tmp/locale/vi/LC_MESSAGES/caldaq.mo" "$po" || fail "msgfmt $po"
    export CALDAQ_LOCALEDIR=$tmp/locale
}
