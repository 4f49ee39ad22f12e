#!/bin/sh
# make qemu-test: unmodified Linux guests driving libvtd-iommu in QEMU 10.0.
# Builds (or reuses) QEMU with the device (integrations/qemu/build.sh), the
# guest kernel of tests/vm (cached in $VM_OUT), a static vtd and
# iommufd-e2e, packs an initramfs with integrations/qemu/test/init.sh as
# /init, and runs test/run.py once per mode.  TAP on stdout and in
# $OUT/qemu-test.tap (added into make test's summary); exit 0 when all pass.
# Environment: OUT (default build-qemu), VM_OUT (default build-vm),
# QEMU_TEST_MODES (default legacy,scalable,flts,x2apic,nested), QEMU_TEST_ACCEL
# (tcg|kvm, default tcg), QEMU_TEST_TIMEOUT (s per boot, default 600),
# VTD_NATIVE (vtd of the normal build: also run tests/qemu's random scripts
# on libvtd-iommu, QEMU_TEST_DIFF_N of them, default 3000),
# QEMU_TEST_KVM=0 (skip the KVM checks).
set -eu
cd "$(dirname "$0")/../../.."
OUT=${OUT:-build-qemu}
VM_OUT=${VM_OUT:-build-vm}
mkdir -p "$OUT" "$VM_OUT"
TAPFILE="$OUT/qemu-test.tap"
rm -f "$TAPFILE" "$TAPFILE.tmp"
log() { echo "qemu-test: $*" >&2; }
fail() {
    printf 'TAP version 13\nnot ok 1 - qemu-test: %s\n1..1\n' "$1" >"$TAPFILE"
    echo "not ok 1 - qemu-test: $1"
    exit 1
}

t0=$(date +%s)
OUT="$OUT" sh integrations/qemu/build.sh || fail "building QEMU with libvtd-iommu (integrations/qemu/build.sh)"
t1=$(date +%s)
log "QEMU: $OUT/qemu-system-x86_64 ($((t1 - t0)) s)"
kernel=$(OUT="$VM_OUT" sh tests/vm/build-kernel.sh) || fail "building the guest kernel (tests/vm/build-kernel.sh)"
sh tests/vm/guest-tools.sh "$OUT" "$kernel" || fail "building vtd and iommufd-e2e (tests/vm/guest-tools.sh)"
INIT=integrations/qemu/test/init.sh sh tests/vm/mk-initramfs.sh "$OUT/initramfs.cpio" \
    "$OUT/vtd-static/tools/vtd/vtd" "$OUT/iommufd-e2e" ||
    fail "packing the initramfs (tests/vm/mk-initramfs.sh)"
log "kernel $kernel, initramfs $OUT/initramfs.cpio ($(($(date +%s) - t1)) s)"

exec python3 integrations/qemu/test/run.py --qemu "$OUT/qemu-system-x86_64" --kernel "$kernel" \
    --initrd "$OUT/initramfs.cpio" --vtd "$OUT/vtd-static/tools/vtd/vtd" \
    --mode "${QEMU_TEST_MODES:-legacy,scalable,flts,x2apic,nested}" --logdir "$OUT" --tap-file "$TAPFILE" \
    ${VTD_NATIVE:+--vtd-native "$VTD_NATIVE"}
