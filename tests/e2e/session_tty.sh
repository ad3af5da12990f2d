#!/usr/bin/env bash
# End to end: `caldaq session` at the bench through a real pseudo-terminal,
# in Vietnamese and in English (prompts, live readings, note, skip, repeat,
# verdict table, Ctrl-C). The driver is tests/e2e/session_tty.py (Python's
# pty module; h5py reads the runs back).
set -euo pipefail
: "${CALDAQ:?path of the caldaq binary}"
exec /usr/bin/python3 "$(dirname "$0")/session_tty.py"
