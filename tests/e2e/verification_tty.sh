#!/usr/bin/env bash
# End to end: a legal verification at the bench in Vietnamese through a real
# pseudo-terminal, kill -9 after a typed reading, and the verification
# certificate and notice of failure (tests/e2e/verification_tty.py drives
# the terminal; Python's pty module, h5py reads the runs, pdftotext the PDFs).
# test-timeout: 300
set -euo pipefail
: "${CALDAQ:?path of the caldaq binary}"
command -v pdftotext > /dev/null || { echo "verification_tty.sh: pdftotext missing (apt-get install poppler-utils)"; exit 77; }
exec timeout 280 /usr/bin/python3 "$(dirname "$0")/verification_tty.py"
