#!/bin/busybox sh
# /init of the qemu-test guest: Linux driving libvtd-iommu.  Results go to
# the serial console as in tests/vm/init.sh: "@@ok DESC", "@@not ok DESC",
# "@@# NOTE", "@@data KEY VALUE"; "@@migrate" asks the runner to migrate the
# VM now (the guest sleeps meanwhile); "@@end", the kernel log between
# @@dmesg-begin/@@dmesg-end, then power-off.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
mkdir -p /tmp && mount -t tmpfs -o size=200m tmpfs /tmp

mode=legacy
migrate=0
for arg in $(cat /proc/cmdline); do
	case $arg in
	qtest.mode=*) mode=${arg#qtest.mode=} ;;
	qtest.migrate=*) migrate=${arg#qtest.migrate=} ;;
	esac
done

. /bin/guest-lib.sh

echo "@@begin mode=$mode kernel=$(uname -r)"

# ---- the VT-d unit -------------------------------------------------------------
unit=/sys/class/iommu/dmar0/intel-iommu
check "VT-d unit dmar0 in sysfs" test -r $unit/cap
if [ -r $unit/cap ]; then
	echo "@@data sysfs_cap 0x$(cat $unit/cap)"
	echo "@@data sysfs_ecap 0x$(cat $unit/ecap)"
fi
dmesg >/tmp/dmesg-boot
grep -iE 'DMAR|IOMMU|remapp|x2apic' /tmp/dmesg-boot | note
check "no DMAR fault while the IOMMU initialised" \
	sh -c '! grep -qiE "DMAR: \[(DMA|INTR)|fault reason|DRHD: handling fault" /tmp/dmesg-boot'
check "DMA remapping enabled by the guest (GSTS.TES)" \
	grep -qiE 'DMAR: Intel\(R\) Virtualization Technology for Directed I/O' /tmp/dmesg-boot

# ---- a disk behind the IOMMU -----------------------------------------------------
blk=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor")" = 0x1af4 ] && [ "$(cat "$d/device")" = 0x1042 ] && blk=${d##*/}
done
check "virtio-blk PCI device present (${blk:-none})" test -n "$blk"
check "virtio-blk is in an IOMMU group" test -e /sys/bus/pci/devices/$blk/iommu_group
i=0
while [ ! -b /dev/vda ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
check "/dev/vda exists" test -b /dev/vda

mib=64
dd if=/dev/urandom of=/tmp/pattern bs=1M count=$mib 2>/dev/null
want=$(md5sum </tmp/pattern | cut -d' ' -f1)
echo "@@data pattern_md5 $want"
dd if=/tmp/pattern of=/dev/vda bs=1M oflag=direct conv=fsync 2>/tmp/dd.log
check "wrote $mib MiB through the IOMMU (dd oflag=direct)" test $? = 0
sync
echo 3 >/proc/sys/vm/drop_caches
got=$(dd if=/dev/vda bs=1M count=$mib iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1)
check "read $mib MiB back through the IOMMU, checksum equal ($got)" test "$got" = "$want"
rm -f /tmp/pattern

# ---- interrupts --------------------------------------------------------------------
grep -E 'virtio|IR-|DMAR' /proc/interrupts | note
if [ "$mode" = x2apic ]; then
	check "interrupt remapping in use (IR- chips in /proc/interrupts)" grep -q 'IR-' /proc/interrupts
	check "x2APIC enabled" grep -qi 'x2apic enabled\|Switched APIC routing to cluster x2apic\|x2apic: enabled' /tmp/dmesg-boot
	n=$(grep -E 'IR-PCI-MSI.*virtio' /proc/interrupts | awk '{s += $2} END {print s + 0}')
	check "remapped MSIs delivered to virtio-blk ($n)" test "$n" -gt 0
fi

# ---- the edu device through iommufd/VFIO ---------------------------------------------
edu=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor")" = 0x1234 ] && [ "$(cat "$d/device")" = 0x11e8 ] && edu=${d##*/}
done
if [ -n "$edu" ]; then
	echo 1234 11e8 >/sys/bus/pci/drivers/vfio-pci/new_id 2>/dev/null
	i=0
	while [ ! -e /dev/vfio/devices/vfio0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	check "edu bound to vfio-pci" test -c /dev/vfio/devices/vfio0
	dmesg -c >/dev/null
	if [ "$mode" = nested ]; then
		# a vIOMMU that can nest: the upstream check passes against it,
		# and a nested HWPT over our own first stage carries edu's DMA
		vtd check --device /dev/vfio/devices/vfio0 \
			--config x-scalable-mode=on,x-flts=on,caching-mode=on >/tmp/check 2>&1
		rc=$?
		note </tmp/check
		check "vtd check --device (x-scalable-mode=on,x-flts=on,caching-mode=on) on a vIOMMU that nests: compatible (exit $rc)" \
			test $rc = 0
		iommufd-e2e --nested /dev/vfio/devices/vfio0 >/tmp/e2e 2>&1
	elif [ "$mode" = flts ]; then
		# Linux gives iommufd HWPTs second-stage tables only, which a
		# first-stage-only unit refuses: the type1 container's kernel
		# domain is first stage (see iommufd-e2e.c)
		group=$(readlink /sys/bus/pci/devices/$edu/iommu_group)
		iommufd-e2e --type1 /dev/vfio/${group##*/} $edu >/tmp/e2e 2>&1
	else
		iommufd-e2e /dev/vfio/devices/vfio0 >/tmp/e2e 2>&1
	fi
	rc=$?
	e2e_report /tmp/e2e $rc
	sleep 1
	dmesg >/tmp/dmesg-e2e
	grep -i dmar /tmp/dmesg-e2e | note
	reason=$(grep -oiE 'fault reason 0x[0-9a-f]+' /tmp/dmesg-e2e | head -n 1 | awk '{print $3}')
	echo "@@data e2e_fault_reason ${reason:-none}"
	check "guest kernel logged a DMAR fault for the blocked DMA" test -n "$reason"
fi

# ---- the library's counters, read by the runner over QMP ----------------------------
echo "@@stats"
sleep 2

# ---- migration -----------------------------------------------------------------------
if [ "$migrate" = 1 ]; then
	dd if=/dev/urandom of=/tmp/pattern bs=1M count=16 2>/dev/null
	want=$(md5sum </tmp/pattern | cut -d' ' -f1)
	dd if=/tmp/pattern of=/dev/vda bs=1M oflag=direct conv=fsync 2>/dev/null
	rm -f /tmp/pattern
	echo "@@migrate"
	# live: the disk keeps streaming through the IOMMU while the runner
	# migrates the VM (its writes into RAM, queue status words above all,
	# must reach the destination through the dirty log)
	bad=0
	i=0
	while [ $i -lt 24 ]; do
		got=$(dd if=/dev/vda bs=1M count=16 iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1)
		[ "$got" = "$want" ] || bad=$((bad + 1))
		i=$((i + 1))
	done
	check "16 MiB read 24 times through the IOMMU across the live migration: $bad bad" test $bad = 0
	echo "@@# after migration"
	echo 3 >/proc/sys/vm/drop_caches
	got=$(dd if=/dev/vda bs=1M count=16 iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1)
	check "after migration: the pattern reads back through the IOMMU ($got)" test "$got" = "$want"
	echo "@@stats-after"
	sleep 2
	dmesg | grep -iE 'DMAR: \[|fault reason' | note
fi

echo "@@end"
echo "@@dmesg-begin"
dmesg
echo "@@dmesg-end"
sync
poweroff -f
