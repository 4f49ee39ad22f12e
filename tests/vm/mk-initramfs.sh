#!/bin/sh
# Pack the vm-test initramfs (uncompressed newc cpio): busybox-static, the
# statically linked vtd, iommufd-e2e and init.sh as /init.
# usage: mk-initramfs.sh OUT.cpio VTD_BINARY E2E_BINARY
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
out=$1 vtd=$2 e2e=$3
busybox=${BUSYBOX:-/bin/busybox}
file -L "$busybox" 2>/dev/null | grep -q 'statically linked' ||
    { echo "mk-initramfs: $busybox is not static (apt-get install busybox-static)" >&2; exit 1; }
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/dev" "$stage/proc" "$stage/sys" "$stage/tmp"
cp "$busybox" "$stage/bin/busybox"
cp "$vtd" "$stage/bin/vtd"
cp "$e2e" "$stage/bin/iommufd-e2e"
cp "$HERE/init.sh" "$stage/init"
chmod 755 "$stage/init" "$stage/bin/"*
# the kernel opens /dev/console before /init runs
[ "$(id -u)" = 0 ] && mknod -m 600 "$stage/dev/console" c 5 1 || true
(cd "$stage" && find . | sort | cpio -o -H newc --quiet -R 0:0) >"$out.tmp"
mv "$out.tmp" "$out"
