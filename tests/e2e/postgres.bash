# Sourced by end-to-end scripts that need a real PostgreSQL server (after
# common.bash): pg_start starts a throwaway cluster with tests/peers/postgres
# (Debian's initdb and pg_ctl, a Unix socket in a folder of its own, the
# server run as `nobody` when the tests run as root) and sets PG_URL; the
# cluster is stopped and its folder removed when the script exits. A
# missing postgresql package exits 77 (a failure under CI=true).

pg_dir=""

pg_stop() {
    [ -n "$pg_dir" ] || return 0
    tests/peers/postgres stop "$pg_dir" || true
    pg_dir=""
}

pg_start() {
    local out rc=0
    # chain the cleanup: the server first, then common.bash's
    trap 'pg_stop; cleanup' EXIT
    out=$(tests/peers/postgres start) || rc=$?
    [ "$rc" -eq 77 ] && { echo "$(basename "$0"): skipped: needs PostgreSQL" >&2; exit 77; }
    [ "$rc" -eq 0 ] || fail "could not start a PostgreSQL cluster"
    pg_dir=$(sed -n 1p <<< "$out")
    PG_URL=$(sed -n 2p <<< "$out")
}
