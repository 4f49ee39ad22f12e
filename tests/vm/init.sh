#!/bin/busybox sh
# /init of the vm-test guest.  Every result goes to the serial console as a
# line starting with "@@": "@@ok DESC", "@@not ok DESC", "@@# NOTE" and
# "@@data KEY VALUE" (facts the runner compares on the host side).  The run
# ends with "@@end", then the kernel log between @@dmesg-begin/@@dmesg-end,
# then the guest powers off.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
mkdir -p /tmp && mount -t tmpfs tmpfs /tmp

mode=legacy
for arg in $(cat /proc/cmdline); do
	case $arg in vmtest.mode=*) mode=${arg#vmtest.mode=} ;; esac
done

. /bin/guest-lib.sh

echo "@@begin mode=$mode kernel=$(uname -r)"

# ---- the edu device and the VT-d unit -----------------------------------
edu=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor")" = 0x1234 ] && [ "$(cat "$d/device")" = 0x11e8 ] && edu=${d##*/}
done
check "edu PCI device present (${edu:-none})" test -n "$edu"

unit=/sys/class/iommu/dmar0/intel-iommu
check "VT-d unit dmar0 in sysfs" test -r $unit/cap
if [ -r $unit/cap ]; then
	echo "@@data sysfs_cap 0x$(cat $unit/cap)"
	echo "@@data sysfs_ecap 0x$(cat $unit/ecap)"
	echo "@@data sysfs_version $(cat $unit/version)"
fi
check "edu is in an IOMMU group" test -e /sys/bus/pci/devices/$edu/iommu_group

# ---- bind edu to vfio-pci -----------------------------------------------
echo 1234 11e8 >/sys/bus/pci/drivers/vfio-pci/new_id 2>/dev/null
i=0
while [ ! -e /dev/vfio/devices/vfio0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
drv=$(readlink /sys/bus/pci/devices/$edu/driver 2>/dev/null)
check "edu bound to vfio-pci (${drv##*/})" test "${drv##*/}" = vfio-pci
check "/dev/iommu exists" test -c /dev/iommu
check "/dev/vfio/devices/vfio0 exists" test -c /dev/vfio/devices/vfio0

# ---- vtd host probe -------------------------------------------------------
vtd host probe >/tmp/probe 2>&1
rc=$?
note </tmp/probe
check "vtd host probe: ready (exit $rc)" test $rc = 0 -a -n "$(grep '^ready' /tmp/probe)"
set -- $(grep '^dmar0' /tmp/probe)
echo "@@data probe_cap $3"
echo "@@data probe_ecap $5"
# the iommufd view of the cdev: "<path> iommufd: type N flags 0x.. cap 0x.. ecap 0x.."
set -- $(grep 'vfio0 iommufd:' /tmp/probe)
echo "@@data probe_fd_cap $8"
echo "@@data probe_fd_ecap ${10}"

# ---- vtd check --device -----------------------------------------------------
dev=/dev/vfio/devices/vfio0
props=x-scalable-mode=on,x-flts=on,caching-mode=on
for extra in "" ",fs1gp=off"; do
	tag=check${extra:+_fs1gp_off}
	vtd check --device $dev --config "$props$extra" >/tmp/check 2>&1
	rc=$?
	note </tmp/check
	echo "@@data ${tag}_rc $rc"
	# the iommufd view (IOMMU_GET_HW_INFO), from the host line
	set -- $(grep '^host:' /tmp/check)
	while [ $# -gt 0 ]; do
		case $1 in
		cap) echo "@@data ${tag}_cap $2" ;;
		ecap) echo "@@data ${tag}_ecap $2" ;;
		esac
		shift
	done
	echo "@@data ${tag}_errors $(grep '^error' /tmp/check | awk '{print $2}' | tr -d : | sort | tr '\n' ' ')"
	echo "@@data ${tag}_warnings $(grep '^warning' /tmp/check | awk '{print $2}' | tr -d : | sort | tr '\n' ' ')"
	echo "@@data ${tag}_summary $(tail -n 1 /tmp/check)"
done

# ---- iommufd end to end -----------------------------------------------------
dmesg -c >/tmp/dmesg-before
iommufd-e2e $dev >/tmp/e2e 2>&1
rc=$?
e2e_report /tmp/e2e $rc
sleep 1
dmesg >/tmp/dmesg-after
grep -i dmar /tmp/dmesg-after | note
check "guest kernel logged a DMAR fault for the blocked DMA" \
	grep -qiE 'DMAR: .*(fault addr|fault reason)' /tmp/dmesg-after

# ---- the host check in a VMM: QEMU 10.0 with libvtd-iommu ----------------------
# (integrations/qemu; carried in the initramfs when make test built it).
# vfio-pci hands the edu device's host IOMMU (this guest's, QEMU's VT-d) to
# the device's set_iommu_device hook, which runs vtd_compat_check on the
# CAP/ECAP that IOMMU_GET_HW_INFO gives: it must refuse x-flts=on with the
# findings vtd check reported above, and start with x-flts=off.
if [ -x /bin/qemu-system-x86_64 ]; then
	echo "@@data vmm_present 1"
	for flts in on off; do
		echo quit | qemu-system-x86_64 -L /share/qemu -M q35 -m 64M -nodefaults \
			-display none -S -monitor stdio -object iommufd,id=fd0 \
			-device libvtd-iommu,x-scalable-mode=on,caching-mode=on,x-flts=$flts \
			-device vfio-pci,host=$edu,iommufd=fd0 >/tmp/vmm 2>&1
		rc=$?
		grep -v '^(qemu)\|^QEMU .* monitor' /tmp/vmm | note
		echo "@@data vmm_flts_${flts}_rc $rc"
		echo "@@data vmm_flts_${flts}_summary $(grep -c 'host IOMMU is incompatible with guest stage-1 translation' /tmp/vmm)"
		echo "@@data vmm_flts_${flts}_errors $(grep -E '^  [a-z0-9_-]+: ' /tmp/vmm | awk '{print $1}' | tr -d : | sort | tr '\n' ' ')"
	done
fi

echo "@@end"
echo "@@dmesg-begin"
cat /tmp/dmesg-before /tmp/dmesg-after
echo "@@dmesg-end"
sync
poweroff -f
