# Sourced by the end-to-end scripts (not a test itself: `make check` runs
# tests/e2e/*.sh). Strict mode, CALDAQ required, PY (Debian's python3 with
# h5py), a temporary folder $tmp removed at exit, background processes in
# pids() killed at exit, fail() naming the script, wait_for PATH.
set -euo pipefail
: "${CALDAQ:?path of the caldaq binary}"
PY=/usr/bin/python3
tmp=$(mktemp -d)
# never the machine's configuration files (docs/configuration.md): a test
# that wants one writes it here
export XDG_CONFIG_HOME=$tmp/.config CALDAQ_SYSCONFDIR=$tmp/.etc
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "$(basename "$0"): $*" >&2; exit 1; }
wait_for() { for _ in $(seq 100); do [ -e "$1" ] && return 0; sleep 0.05; done; fail "no $1"; }
