# Sourced by end-to-end scripts that need a real PostgreSQL server (after
# common.bash): pg_start makes a throwaway cluster with Debian's initdb and
# pg_ctl in a folder of its own, listening on a Unix socket in that folder
# only (no TCP port), and sets PG_URL to a postgresql:// URL for it; the
# cluster is stopped, and its folder removed, when the script exits.
#
# initdb refuses to run as root (CI runs tests as root), so the server then
# runs as the unprivileged user `nobody`, with the folder given to it. A
# missing postgresql package exits 77: a skip, which tests/run-tests counts
# as a failure under CI=true. Every wait is bounded.

pg_dir=""
pg_as=()

pg_stop() {
    [ -n "$pg_dir" ] || return 0
    if [ -f "$pg_dir/data/postmaster.pid" ]; then
        "${pg_as[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate -w -t 20 stop \
            > /dev/null 2>&1 || true
    fi
    rm -rf "$pg_dir"
    pg_dir=""
}

pg_start() {
    pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2> /dev/null | sort -V | tail -1)
    if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ] || [ ! -x "$pg_bin/pg_ctl" ]; then
        echo "$(basename "$0"): skipped: needs PostgreSQL (apt-get install postgresql)" >&2
        exit 77
    fi
    # its own folder under /tmp (every user may enter /tmp; the test's
    # $tmp is root's alone), short enough for a socket path
    pg_dir=$(mktemp -d /tmp/caldaq-pg.XXXXXX)
    chmod 755 "$pg_dir"
    if [ "$(id -u)" -eq 0 ]; then
        chown nobody "$pg_dir"
        pg_as=(runuser -u nobody --)
    fi
    # chain the cleanup: the server goes first, then common.bash's
    trap 'pg_stop; cleanup' EXIT
    "${pg_as[@]}" timeout 60 "$pg_bin/initdb" -D "$pg_dir/data" -A trust -U caldaq -E UTF8 \
        --locale=C.UTF-8 --no-sync > "$pg_dir/initdb.log" 2>&1 \
        || { cat "$pg_dir/initdb.log" >&2; fail "initdb"; }
    # fsync off: a test cluster, thrown away; a few connections (2 cores)
    "${pg_as[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 30 \
        -o "-k $pg_dir -c listen_addresses= -F -c max_connections=30 -c shared_buffers=16MB" \
        start > /dev/null 2>&1 || { cat "$pg_dir/server.log" >&2; fail "pg_ctl start"; }
    PG_URL="postgresql:///postgres?host=$pg_dir&user=caldaq"
}
