#!/bin/sh
# Pack the vm-test initramfs (uncompressed newc cpio): busybox-static, the
# statically linked vtd, iommufd-e2e, init.sh as /init and the functions it
# sources (guest-lib.sh).
# usage: mk-initramfs.sh OUT.cpio VTD_BINARY E2E_BINARY
# Environment: INIT (the /init script, default init.sh beside this file);
# VMM_QEMU: a QEMU binary to carry as /bin/qemu-system-x86_64 (stripped,
# with the shared libraries ldd names and SeaBIOS in /share/qemu), for the
# host check of libvtd-iommu inside the guest.
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
cp "${INIT:-$HERE/init.sh}" "$stage/init"
cp "$HERE/guest-lib.sh" "$stage/bin/guest-lib.sh"
if [ -n "${VMM_QEMU:-}" ]; then
    strip -o "$stage/bin/qemu-system-x86_64" "$VMM_QEMU"
    for lib in $(ldd "$VMM_QEMU" | awk '/=> \//{print $3} /^\t\/lib/{print $1}'); do
        mkdir -p "$stage$(dirname "$lib")"
        cp -L "$lib" "$stage$lib"
    done
    mkdir -p "$stage/share/qemu"
    for f in /usr/share/seabios/bios-256k.bin /usr/share/qemu/kvmvapic.bin \
             /usr/share/qemu/linuxboot_dma.bin; do
        cp -L "$f" "$stage/share/qemu/"
    done
fi
chmod 755 "$stage/init" "$stage/bin/"*
# the kernel opens /dev/console before /init runs
[ "$(id -u)" = 0 ] && mknod -m 600 "$stage/dev/console" c 5 1 || true
(cd "$stage" && find . | sort | cpio -o -H newc --quiet -R 0:0) >"$out.tmp"
mv "$out.tmp" "$out"
