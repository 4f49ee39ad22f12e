#!/bin/busybox sh
# SPDX-License-Identifier: MIT
# /init of the end-to-end benchmark guest (make bench-e2e,
# integrations/qemu/test/bench-e2e.py).  Kept apart from init.sh so the
# test guest can change without moving the benchmark's workload: a fixed
# stream of 4 KiB O_DIRECT requests on the virtio-blk disk, each one a
# map, the device's DMA, an unmap and queued invalidations in the vIOMMU
# (intel_iommu=on with caching mode: strict unmapping).
#
# Kernel command line: bench.n=N requests per direction (default 4096),
# bench.warm=W unmeasured requests per direction first (default 64),
# bench.sync=1: after each "@@bench-start"/"@@bench-end" line, wait for a
# line on the console before going on (the runner switches callgrind's
# instrumentation there).  Console protocol, besides dd's own output:
#   @@begin, @@data KEY VALUE, @@bench-start DIR N, @@bench-end DIR,
#   @@bench-result DIR RC UPTIME0 UPTIME1 STAT0 STAT1 (uptimes in s from
#   /proc/uptime, STATn the 11 first fields of /sys/block/vda/stat),
#   @@fail WHY, @@end; then power-off.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /tmp
exec </dev/console >/dev/console 2>&1

n=4096
warm=64
sync=0
for arg in $(cat /proc/cmdline); do
	case $arg in
	bench.n=*) n=${arg#bench.n=} ;;
	bench.warm=*) warm=${arg#bench.warm=} ;;
	bench.sync=*) sync=${arg#bench.sync=} ;;
	esac
done

fail() {
	echo "@@fail $*"
	echo "@@dmesg-begin"
	dmesg | tail -n 40
	echo "@@dmesg-end"
	poweroff -f
}
# wait for the runner's go-ahead (a line on the console)
handshake() {
	[ "$sync" = 1 ] && read -r _go
}
[ "$sync" = 1 ] && stty -echo
blkstat() {
	set -- $(cat /sys/block/vda/stat)
	echo "$1,$2,$3,$4,$5,$6,$7,$8,$9,${10},${11}"
}

echo "@@begin kernel=$(uname -r) n=$n warm=$warm sync=$sync"
unit=/sys/class/iommu/dmar0/intel-iommu
[ -r $unit/cap ] || fail "no VT-d unit (dmar0) in sysfs"
echo "@@data cap 0x$(cat $unit/cap)"
echo "@@data ecap 0x$(cat $unit/ecap)"
dmesg | grep -q 'DMAR: Intel(R) Virtualization Technology for Directed I/O' ||
	fail "DMA remapping not enabled by the guest"
# caching mode: Linux flushes every unmap at once (no deferred batches)
if dmesg | grep -q 'IOMMU batching disallowed'; then strict=1; else strict=0; fi
echo "@@data strict $strict"

blk=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor")" = 0x1af4 ] && [ "$(cat "$d/device")" = 0x1042 ] && blk=${d##*/}
done
[ -n "$blk" ] || fail "no virtio-blk PCI device"
[ -e /sys/bus/pci/devices/$blk/iommu_group ] || fail "virtio-blk $blk is not in an IOMMU group"
echo "@@data virtio_blk $blk"
i=0
while [ ! -b /dev/vda ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
[ -b /dev/vda ] || fail "no /dev/vda"
echo "@@data disk_bytes $(($(cat /sys/block/vda/size) * 512))"

if [ "$warm" -gt 0 ]; then
	dd if=/dev/zero of=/dev/vda bs=4k count=$warm oflag=direct 2>/dev/null || fail "warm-up write"
	dd if=/dev/vda of=/dev/null bs=4k count=$warm iflag=direct 2>/dev/null || fail "warm-up read"
fi

# phase DIR: N requests of 4 KiB, O_DIRECT, one at a time.  Between the
# go-ahead and @@bench-end (the runner's instruction window) the console
# stays quiet: no echo, dd's report kept for later, the end marker through
# the kernel log (a polled console write; a tty write would add an
# interrupt, remapped by the vIOMMU, per character)
phase() {
	echo "@@bench-start $1 $n"
	handshake
	s0=$(blkstat)
	read -r u0 _ </proc/uptime
	if [ "$1" = write ]; then
		dd if=/dev/zero of=/dev/vda bs=4k count=$n oflag=direct 2>/tmp/dd.log
	else
		dd if=/dev/vda of=/dev/null bs=4k count=$n iflag=direct 2>/tmp/dd.log
	fi
	rc=$?
	read -r u1 _ </proc/uptime
	s1=$(blkstat)
	echo "<0>@@bench-end $1" >/dev/kmsg
	handshake
	cat /tmp/dd.log
	echo "@@bench-result $1 $rc $u0 $u1 $s0 $s1"
	[ $rc = 0 ] || fail "dd ($1) exited with $rc"
}
phase write
phase read

echo "@@end"
poweroff -f
