#!/bin/sh
# make vm-test: build (or reuse) the guest kernel, a static vtd and the
# iommufd end-to-end program, pack the initramfs, and boot QEMU once per
# mode (legacy, scalable); TAP on stdout, exit status 0 when all pass.
# Environment: OUT (build dir, default build-vm), VM_MODES (legacy,scalable),
# VM_ACCEL (kvm|tcg, default: kvm when /dev/kvm opens), VM_TIMEOUT (s per
# boot, default 600), VM_LOGLEVEL (guest console loglevel, default 1).
set -eu
cd "$(dirname "$0")/../.."
OUT=${OUT:-build-vm}
export OUT
mkdir -p "$OUT"
log() { echo "vm-test: $*" >&2; }

t0=$(date +%s)
kernel=$(sh tests/vm/build-kernel.sh)
t1=$(date +%s)
log "kernel: $kernel ($((t1 - t0)) s)"

# libvtd and vtd, statically linked, from the tree as it is
static="$OUT/vtd-static"
if [ ! -f "$static/build.ninja" ]; then
    meson setup "$static" -Ddefault_library=static -Dc_link_args=-static -Dtests=false \
        -Dbuildtype=release >"$OUT/vtd-static-setup.log" 2>&1 ||
        { cat "$OUT/vtd-static-setup.log" >&2; exit 1; }
fi
ninja -C "$static" tools/vtd/vtd src/libvtd.a >"$OUT/vtd-static-build.log" 2>&1 ||
    { cat "$OUT/vtd-static-build.log" >&2; exit 1; }

# the kernel's own uAPI headers (iommufd.h, vfio.h of the guest's kernel)
src=$(ls -d "$OUT"/linux-src-* | head -n 1)
mkdir -p "$OUT/uapi/linux"
cp "$src/include/uapi/linux/iommufd.h" "$src/include/uapi/linux/vfio.h" "$OUT/uapi/linux/"
${CC:-cc} -std=gnu11 -O2 -Wall -Wextra -Werror -D__user= -static -I"$OUT/uapi" -Iinclude \
    tests/vm/iommufd-e2e.c "$static/src/libvtd.a" -o "$OUT/iommufd-e2e"

sh tests/vm/mk-initramfs.sh "$OUT/initramfs.cpio" "$static/tools/vtd/vtd" "$OUT/iommufd-e2e"
log "initramfs: $OUT/initramfs.cpio ($(($(date +%s) - t1)) s for vtd, e2e and initramfs)"

exec python3 tests/vm/run.py --kernel "$kernel" --initrd "$OUT/initramfs.cpio" \
    --vtd "$static/tools/vtd/vtd" --mode "${VM_MODES:-legacy,scalable}" --logdir "$OUT"
