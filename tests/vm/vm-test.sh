#!/bin/sh
# make vm-test: build (or reuse) the guest kernel, a static vtd and the
# iommufd end-to-end program, pack the initramfs, and boot QEMU once per
# mode (legacy, scalable); TAP on stdout and in $OUT/vm-test.tap (which
# scripts/test-summary.py adds into make test's summary), exit status 0
# when all pass.  vtd, iommufd-e2e and the initramfs are rebuilt from the
# tree on every run; only the kernel is cached.
# Environment: OUT (build dir, default build-vm), VM_MODES (legacy,scalable),
# VM_ACCEL (tcg|kvm, default tcg), VM_TIMEOUT (s per boot, default 300),
# VM_LOGLEVEL (guest console loglevel, default 1), VM_JOBS (kernel build).
set -eu
cd "$(dirname "$0")/../.."
OUT=${OUT:-build-vm}
export OUT
mkdir -p "$OUT"
TAPFILE="$OUT/vm-test.tap"
rm -f "$TAPFILE" "$TAPFILE.tmp"
log() { echo "vm-test: $*" >&2; }
# a step before the guest runs failed: one failing TAP result for the summary
fail() {
    printf 'TAP version 13\nnot ok 1 - vm-test: %s\n1..1\n' "$1" >"$TAPFILE"
    echo "not ok 1 - vm-test: $1"
    exit 1
}

t0=$(date +%s)
kernel=$(sh tests/vm/build-kernel.sh) || fail "building the guest kernel (tests/vm/build-kernel.sh)"
t1=$(date +%s)
log "kernel: $kernel ($((t1 - t0)) s)"

# vtd (static) and iommufd-e2e, from the tree as it is
sh tests/vm/guest-tools.sh "$OUT" "$kernel" || fail "building vtd and iommufd-e2e (tests/vm/guest-tools.sh)"
static="$OUT/vtd-static"

# QEMU 10.0 with libvtd-iommu (make qemu) for the host check inside the
# guest: required when VMM_QEMU names it (make test), else used if built
if [ -n "${VMM_QEMU:-}" ]; then
    [ -x "$VMM_QEMU" ] || fail "QEMU with libvtd-iommu missing ($VMM_QEMU: make qemu failed?)"
elif [ -x build-qemu/qemu-system-x86_64 ]; then
    VMM_QEMU=build-qemu/qemu-system-x86_64
fi
export VMM_QEMU
sh tests/vm/mk-initramfs.sh "$OUT/initramfs.cpio" "$static/tools/vtd/vtd" "$OUT/iommufd-e2e" ||
    fail "packing the initramfs (tests/vm/mk-initramfs.sh)"
log "initramfs: $OUT/initramfs.cpio ($(($(date +%s) - t1)) s for vtd, e2e and initramfs)"

exec python3 tests/vm/run.py --kernel "$kernel" --initrd "$OUT/initramfs.cpio" \
    --vtd "$static/tools/vtd/vtd" --mode "${VM_MODES:-legacy,scalable}" --logdir "$OUT" \
    --tap-file "$TAPFILE" ${VMM_QEMU:+--vmm}
