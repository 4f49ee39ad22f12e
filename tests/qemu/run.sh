#!/bin/sh
# make test's differential run (issue 14): the documented QEMU 7.2
# deviations must still show exactly as written, then N seeded random
# scripts must agree with QEMU or meet one of those deviations.
# Usage: run.sh VTD [N]; exit 77 (skip) without Debian's qemu-system-x86.
set -u
VTD=$1; N=${2:-3000}
DIR=$(dirname "$0")
if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
    echo "qemu-system-x86_64 not installed (scripts/bootstrap.sh installs qemu-system-x86): skipped"
    exit 77
fi
python3 "$DIR/diffqemu.py" --vtd "$VTD" --check-deviations || exit 1
python3 "$DIR/diffqemu.py" --vtd "$VTD" -n "$N" --seed 1 -j 2
