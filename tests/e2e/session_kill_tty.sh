#!/usr/bin/env bash
# End to end: a note and a skip the technician was told are saved survive a
# session killed with SIGKILL, and the resume brings them back into the run
# (tests/e2e/session_kill_tty.py drives the terminal; Python's pty module,
# h5py reads the run).
set -euo pipefail
: "${CALDAQ:?path of the caldaq binary}"
exec timeout 300 /usr/bin/python3 "$(dirname "$0")/session_kill_tty.py"
