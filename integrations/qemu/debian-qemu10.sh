#!/bin/sh
# Debian's QEMU 10.0 binary (bookworm-backports qemu-system-x86), unpacked
# with dpkg-deb -x beside the system's QEMU 7.2 (nothing is installed), for
# the first-stage differential run (tests/qemu, --fs): its intel-iommu has
# the first-stage translation 7.2 lacks.  Cached in the same place as
# build.sh's downloads; prints the binary's path.
# Environment: LIBVTD_QEMU_CACHE (as build.sh).
set -eu
GLUE=$(cd "$(dirname "$0")" && pwd)
VERSION="1:10.0.2+ds-2+deb13u1~bpo12+1"
CACHE=${LIBVTD_QEMU_CACHE:-/var/cache/libvtd-qemu}
if ! mkdir -p "$CACHE" 2>/dev/null || [ ! -w "$CACHE" ]; then
    CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/libvtd-qemu"
    mkdir -p "$CACHE"
fi
. "$GLUE/papt.sh"
dir="$CACHE/debian-qemu-$(echo "$VERSION" | tr -c 'A-Za-z0-9.\n' '_')"
bin="$dir/usr/bin/qemu-system-x86_64"
if [ ! -x "$bin" ]; then
    papt_update "$CACHE" >&2
    tmp=$(mktemp -d)
    (cd "$tmp" && papt_get "$CACHE" download "qemu-system-x86=$VERSION") >&2 ||
        { echo "debian-qemu10: cannot download qemu-system-x86 $VERSION" >&2; exit 1; }
    rm -rf "$dir"
    dpkg-deb -x "$tmp"/qemu-system-x86_*.deb "$dir"
    rm -rf "$tmp"
fi
# it must run here: its libraries come from the system (QEMU 7.2's)
missing=$(ldd "$bin" | grep 'not found' || true)
[ -z "$missing" ] || { echo "debian-qemu10: $bin lacks: $missing" >&2; exit 1; }
echo "$bin"
