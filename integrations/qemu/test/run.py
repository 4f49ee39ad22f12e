#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""qemu-test runner: the Linux 6.12 test kernel on QEMU 10.0 with
-device libvtd-iommu, once per mode; the guest's "@@" lines (init.sh) and
host-side checks (CAP/ECAP against `vtd caps`, the library's counters over
QMP, migration into a fresh QEMU, a clean power-off) become TAP.

usage: run.py --qemu QEMU --kernel BZIMAGE --initrd CPIO --vtd VTD
              [--mode legacy,scalable,flts,x2apic] [--logdir DIR] [--tap-file F]
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "tests", "vm"))
from run import (Stop, die_with_parent, guest_results, kvm_usable, run_modes,  # noqa: E402
                 start_tap, vtd_caps)

# mode -> (libvtd-iommu properties, guest command line, extra QEMU args)
MODES = {
    "legacy": ("intremap=on,eim=off,caching-mode=on", "intel_iommu=on", []),
    "scalable": ("x-scalable-mode=on,caching-mode=on", "intel_iommu=on,sm_on", []),
    "flts": ("x-scalable-mode=on,x-flts=on", "intel_iommu=on,sm_on", []),
    "x2apic": ("intremap=on,eim=on", "intel_iommu=on", []),
    # nesting offered to the guest: its iommufd nests over libvtd's walk
    "nested": ("x-scalable-mode=on,x-nest=on,caching-mode=on", "intel_iommu=on,sm_on", []),
}
# The fault edu's write to the unmapped IOVA gets, as libvtd records it and
# the guest's DMAR driver prints it (VT-d spec 7.1.3): legacy 05h (LGN.2, no
# write permission in a second-stage entry), scalable with second-stage
# tables 79h (SSL.2, entry not present), first stage 71h (SFL.2)
FAULT = {"legacy": "0x05", "x2apic": "0x05", "scalable": "0x79", "flts": "0x71",
         "nested": "0x71"}
def shadowed(props):
    """Caching mode with second-stage tables: libvtd's notifiers shadow the
    space (first-stage and nested spaces are not shadowed: iommu.h)."""
    return "caching-mode=on" in props and "x-flts=on" not in props and "x-nest=on" not in props


# the mode whose guest is migrated half-way
MIGRATE_MODE = "scalable"
FIRMWARE = ["-L", "/usr/share/seabios", "-L", "/usr/share/qemu"]


class Qmp:
    def __init__(self, path, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.s = socket.socket(socket.AF_UNIX)
                self.s.connect(path)
                break
            except OSError:
                self.s.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        self.s.settimeout(60)
        self.f = self.s.makefile("rw")
        json.loads(self.f.readline())  # greeting
        self.cmd("qmp_capabilities")

    def cmd(self, name, **args):
        self.f.write(json.dumps({"execute": name, "arguments": args}) + "\n")
        self.f.flush()
        while True:
            r = json.loads(self.f.readline())
            if "event" in r:
                continue
            if "error" in r:
                raise RuntimeError(f"QMP {name}: {r['error'].get('desc')}")
            return r.get("return")

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def qemu_cmd(args, mode, accel, log, qmp, disk, incoming=None):
    props, cmdline, extra = MODES[mode]
    cmd = [
        args.qemu, "-nodefaults", "-display", "none", "-no-reboot", *FIRMWARE,
        "-machine", f"q35,kernel-irqchip=split,accel={accel}",
        "-cpu", "host,-arch-capabilities" if accel == "kvm" else "max",
        "-smp", "1", "-m", "1G",
        # with caching mode, virtio-blk's space is shadowed through a QEMU
        # IOMMU notifier as vfio would shadow it (x-shadow, a test hook)
        "-device", f"libvtd-iommu,id=viommu,{props}"
                   + (",x-shadow=01.0" if shadowed(props) else ""),
        "-drive", f"file={disk},if=none,id=d0,format=raw",
        "-device", "virtio-blk-pci,drive=d0,iommu_platform=on,disable-legacy=on,addr=01.0",
        "-device", "edu,dma_mask=0xFFFFFFFF,addr=02.0",
        "-kernel", args.kernel, "-initrd", args.initrd,
        "-append", f"console=ttyS0 loglevel={args.loglevel} panic=-1 {cmdline} "
                   f"qtest.mode={mode} qtest.migrate={1 if mode == MIGRATE_MODE else 0}",
        "-serial", f"file:{log}", "-monitor", "none",
        "-qmp", f"unix:{qmp},server=on,wait=off", *extra,
    ]
    if incoming:
        cmd += ["-incoming", incoming]
    return cmd


def start(cmd):
    return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, preexec_fn=die_with_parent)


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace").replace("\r", "")
    except OSError:
        return ""


def stop_proc(p):
    if p and p.poll() is None:
        p.kill()
        p.wait()


def run_guest(args, mode, accel, tap):
    """Boot, answer @@stats and @@migrate, wait for power-off.  Returns the
    console text (both halves when migrated) and facts for the checks."""
    facts = {"stats": None, "migrated": False, "rc": None, "timed_out": False,
             "cmd": None, "qemu_out": ""}
    logdir = args.logdir
    disk = os.path.join(logdir, f"disk-{mode}.img")
    with open(disk, "wb") as f:
        f.truncate(80 << 20)
    log1 = os.path.join(logdir, f"qemu-console-{mode}.log")
    log2 = os.path.join(logdir, f"qemu-console-{mode}-migrated.log")
    state = os.path.join(logdir, f"migration-{mode}.bin")
    for p in (log1, log2, state):
        if os.path.exists(p):
            os.remove(p)
    open(log1, "w").close()
    qmp_path = os.path.join(logdir, f"qmp-{mode}.sock")
    if os.path.exists(qmp_path):
        os.remove(qmp_path)
    cmd = qemu_cmd(args, mode, accel, log1, qmp_path, disk)
    facts["cmd"] = cmd
    p = start(cmd)
    qmp = None
    log = log1
    deadline = time.monotonic() + args.timeout
    t0 = time.monotonic()
    try:
        qmp = Qmp(qmp_path)
        while p.poll() is None:
            if time.monotonic() > deadline:
                facts["timed_out"] = True
                break
            new = read(log)
            if "@@stats-after" in new and facts.get("shadow_after") is None:
                facts["shadow_after"] = json.loads(qmp.cmd(
                    "qom-get", path="/machine/peripheral/viommu", property="x-shadow-stats"))
            if "@@stats" in new and facts["stats"] is None:
                facts["stats"] = json.loads(qmp.cmd("qom-get", path="/machine/peripheral/viommu",
                                                    property="x-stats"))
                facts["shadow"] = json.loads(qmp.cmd("qom-get", path="/machine/peripheral/viommu",
                                                     property="x-shadow-stats"))
            if "@@migrate" in new and not facts["migrated"]:
                # live migration while the guest streams its disk, into a
                # file, then a fresh QEMU restores it
                qmp.cmd("migrate-set-parameters", **{"max-bandwidth": 1 << 30})
                qmp.cmd("migrate", uri=f"exec:cat > {state}")
                while True:
                    st = qmp.cmd("query-migrate").get("status")
                    if st in ("completed", "failed", "cancelled"):
                        break
                    time.sleep(0.1)
                if st != "completed":
                    raise RuntimeError(f"migration {st}")
                qmp.cmd("quit")
                qmp.close()
                p.wait(timeout=30)
                facts["qemu_out"] += p.stdout.read().decode("utf-8", "replace")
                open(log2, "w").close()
                if os.path.exists(qmp_path):
                    os.remove(qmp_path)
                p = start(qemu_cmd(args, mode, accel, log2, qmp_path, disk,
                                   incoming=f"exec:cat {state}"))
                qmp = Qmp(qmp_path)
                while qmp.cmd("query-status").get("status") == "inmigrate":
                    time.sleep(0.1)
                if qmp.cmd("query-status").get("status") != "running":
                    qmp.cmd("cont")
                facts["migrated"] = True
                log = log2
                continue
            time.sleep(0.1)
        if not facts["timed_out"]:
            out, _ = p.communicate(timeout=30)
            facts["qemu_out"] += out.decode("utf-8", "replace")
            facts["rc"] = p.returncode
    finally:
        if qmp:
            qmp.close()
        stop_proc(p)
    facts["secs"] = time.monotonic() - t0
    text = read(log1) + ("\n@@# ---- migrated ----\n" + read(log2) if facts["migrated"] else "")
    for f in (state, disk):
        if os.path.exists(f):
            os.remove(f)
    return text, facts


def run_mode(mode, args, accel, tap):
    text, facts = run_guest(args, mode, accel, tap)
    log = os.path.join(args.logdir, f"qemu-console-{mode}.log")
    tap.diag(f"{mode}: {' '.join(facts['cmd'])}")
    tap.diag(f"{mode}: guest ran {facts['secs']:.1f} s ({accel}); console in {log}")
    failed_before = tap.failed

    lines, data = guest_results(text, mode, tap)
    ended = "@@end" in lines
    tap.result(ended and not facts["timed_out"],
               f"{mode}: guest finished" + (f" (timed out after {args.timeout} s)"
                                            if facts["timed_out"] else ""))
    tap.result(facts["rc"] == 0,
               f"{mode}: clean power-off (QEMU exit status {facts['rc']})")
    if facts["qemu_out"].strip():
        tap.diag(f"{mode}: QEMU said: {facts['qemu_out'].strip()}")

    # the CAP/ECAP the guest read equal `vtd caps --config` of the same properties
    props = MODES[mode][0]
    exp, err = vtd_caps(args.vtd, props + ",kernel-irqchip=off")
    try:
        cap = int(data.get("sysfs_cap", ""), 16)
        ecap = int(data.get("sysfs_ecap", ""), 16)
    except ValueError:
        cap = ecap = None
    if exp is None:
        tap.result(False, f"{mode}: vtd caps --config {props}: {err.strip()}")
    else:
        tap.result(cap == exp[0] and ecap == exp[1],
                   f"{mode}: CAP/ECAP the guest read (0x{cap or 0:x}/0x{ecap or 0:x}) equal "
                   f"`vtd caps --config {props}` (0x{exp[0]:x}/0x{exp[1]:x})")

    # invalidations went through the queue (the library's counters)
    st = facts["stats"]
    if st is None:
        tap.result(False, f"{mode}: libvtd counters read over QMP (x-stats)")
    else:
        qi = st["qi_descriptors"]
        tap.diag(f"{mode}: libvtd counters: {json.dumps(st)}")
        tap.result(sum(qi) > 0 and qi[5] > 0,
                   f"{mode}: invalidations through the queue: {sum(qi)} descriptors "
                   f"(context {qi[1]}, IOTLB {qi[2]}, device-TLB {qi[3]}, IEC {qi[4]}, "
                   f"wait {qi[5]}, PASID-IOTLB {qi[6]}, PASID-cache {qi[7]})")
        tap.result(st["iotlb_misses"] > 0,
                   f"{mode}: DMA translated by libvtd ({st['iotlb_hits']} IOTLB hits, "
                   f"{st['iotlb_misses']} misses)")
    want = FAULT.get(mode)
    got = data.get("e2e_fault_reason")
    tap.result(want is None or got == want,
               f"{mode}: the blocked DMA's fault reason, as libvtd recorded it and the guest "
               f"printed it: {got} (expected {want or 'any'})")
    sh = facts.get("shadow")
    if shadowed(MODES[mode][0]):
        ok = bool(sh) and sh.get("maps", 0) > 0 and sh.get("unmaps", 0) > 0 and \
            sh.get("mismatch") == 0 and sh.get("checked") == sh.get("live")
        tap.result(ok, f"{mode}: virtio-blk shadowed through a QEMU IOMMU notifier on libvtd's "
                       f"notifiers (caching mode): {sh}; every live shadow entry translates as "
                       f"shadowed")
        if mode == MIGRATE_MODE:
            sa = facts.get("shadow_after")
            ok = bool(sa) and sa.get("maps", 0) > 0 and sa.get("live", 0) > 0 and \
                sa.get("mismatch") == 0 and sa.get("checked") == sa.get("live")
            tap.result(ok, f"{mode}: after migration the restored QEMU's shadow follows the "
                           f"restored state (replayed after load, then the guest's DMA): {sa}")
    if mode == MIGRATE_MODE:
        tap.result(facts["migrated"], f"{mode}: migrated into a fresh QEMU (vtd_iommu_save/load)")
        after = text.split("---- migrated ----", 1)[1] if facts["migrated"] else ""
        tap.result("@@ok after migration" in after,
                   f"{mode}: the guest's check after migration ran in the restored QEMU")
    if tap.failed != failed_before:
        tap.line(f"# ---- {mode}: guest console ----")
        for l in text.splitlines():
            tap.line(f"#   {l}")
        tap.line(f"# ---- end of {mode} console ----")


def property_checks(args, tap):
    """Bad property values refuse to start with a message naming them (no
    guest needed): libvtd's own for its configuration language, the
    device's for its test hook."""
    base = [args.qemu, "-nodefaults", "-display", "none", *FIRMWARE, "-machine", "q35",
            "-accel", "tcg", "-S", "-monitor", "none"]
    for props, want in (("caching-mode=maybe", "caching-mode: invalid value 'maybe'"),
                        ("aw-bits=40", "aw-bits"),
                        ("x-bogus=on", "x-bogus"),
                        ("x-shadow=zz", "x-shadow: 'zz' is not a root-bus device"),
                        ("x-shadow=20.0", "x-shadow: '20.0'")):
        r = subprocess.run(base + ["-device", f"libvtd-iommu,{props}"], stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=60)
        tap.result(r.returncode == 1 and want in r.stderr,
                   f"properties: -device libvtd-iommu,{props} refused: {r.stderr.strip()}")


def kvm_checks(args, tap):
    """KVM with the split irqchip: a Linux guest under KVM prints nothing on
    these machines (with any vIOMMU or none), so what is checked is what
    needs no guest: the device realizes with kernel-irqchip=split, the
    firmware runs, the counters answer, and kernel-irqchip=on with
    interrupt remapping is refused as intel-iommu refuses it."""
    if not kvm_usable():
        tap.line(f"ok {tap.n + 1} - kvm: /dev/kvm not usable here # SKIP")
        tap.n += 1
        return
    base = [args.qemu, "-nodefaults", "-display", "none", *FIRMWARE, "-m", "256M",
            "-cpu", "host,-arch-capabilities",
            "-device", "virtio-blk-pci,drive=d0,iommu_platform=on,disable-legacy=on",
            "-drive", "if=none,id=d0,format=raw,file=null-co://,file.size=1M",
            "-monitor", "none"]
    qmp_path = os.path.join(args.logdir, "qmp-kvm.sock")
    if os.path.exists(qmp_path):
        os.remove(qmp_path)
    p = start(base + ["-machine", "q35,accel=kvm,kernel-irqchip=split",
                      "-device", "libvtd-iommu,id=viommu,intremap=on,eim=on,caching-mode=on",
                      "-qmp", f"unix:{qmp_path},server=on,wait=off"])
    qmp = None
    try:
        qmp = Qmp(qmp_path)
        time.sleep(2)
        st = qmp.cmd("query-status").get("status")
        stats = json.loads(qmp.cmd("qom-get", path="/machine/peripheral/viommu",
                                   property="x-stats"))
        qmp.cmd("quit")
        out, _ = p.communicate(timeout=30)
        tap.result(st == "running" and "qi_descriptors" in stats and p.returncode == 0,
                   f"kvm: libvtd-iommu,intremap=on,eim=on with kernel-irqchip=split realizes and "
                   f"runs (status {st}, exit {p.returncode})")
    except Exception as e:
        tap.result(False, f"kvm: split irqchip run: {type(e).__name__}: {e}")
    finally:
        if qmp:
            qmp.close()
        stop_proc(p)
    r = subprocess.run(base + ["-machine", "q35,accel=kvm,kernel-irqchip=on", "-S",
                               "-device", "libvtd-iommu,intremap=on"],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    tap.result(r.returncode == 1 and "kernel-irqchip=on" in r.stderr,
               f"kvm: intremap=on with kernel-irqchip=on refused: {r.stderr.strip()}")


def differential(args, tap):
    """tests/qemu's random scripts on libvtd-iommu and on `vtd replay`:
    libvtd inside QEMU must answer exactly as libvtd alone (no deviation
    list), every DMA, translation, fault code, interrupt and register.
    Then first-stage scripts (x-flts=on) on Debian's QEMU 10.0 binary,
    whose intel-iommu has the first stage 7.2 lacks: they agree or meet a
    documented deviation (tests/qemu/qemu10-deviations.txt)."""
    if not args.vtd_native:
        return
    n = os.environ.get("QEMU_TEST_DIFF_N", "3000")
    diff = os.path.join(HERE, "..", "..", "..", "tests", "qemu", "diffqemu.py")

    def run(tag, extra):
        cmd = [sys.executable, diff, "--vtd", args.vtd_native, "-n", n, "--seed", "1",
               "-j", "2", *extra]
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True)
        out = (p.stdout + p.stderr).strip().splitlines()
        for l in out[-6:]:
            tap.diag(f"{tag}: {l}")
        return p.returncode, out[-1].strip() if out else ""

    rc, last = run("differential", ["--qemu", args.qemu, "--device", "libvtd-iommu"])
    tap.result(rc == 0 and f" {n} same," in f" {last}",
               f"differential: {n} random scripts on -device libvtd-iommu and on vtd replay agree "
               f"({last})")
    q10 = subprocess.run(["sh", os.path.join(HERE, "..", "debian-qemu10.sh")],
                         stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if q10.returncode:
        tap.result(False, f"first-stage differential: Debian's QEMU 10.0: {q10.stderr.strip()}")
        return
    rc, last = run("first-stage differential", ["--qemu", q10.stdout.strip(), "--fs"])
    tap.result(rc == 0 and " 0 differ" in last,
               f"first-stage differential: {n} x-flts=on scripts on Debian's QEMU 10.0 intel-iommu "
               f"and on vtd replay agree or meet a documented deviation ({last})")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qemu", required=True)
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--initrd", required=True)
    ap.add_argument("--vtd", required=True)
    ap.add_argument("--mode", default=",".join(MODES))
    ap.add_argument("--logdir", default="build-qemu")
    ap.add_argument("--timeout", type=int, default=int(os.environ.get("QEMU_TEST_TIMEOUT", "600")))
    ap.add_argument("--loglevel", default=os.environ.get("VM_LOGLEVEL", "1"))
    ap.add_argument("--tap-file")
    ap.add_argument("--vtd-native", help="vtd of the normal build: run the differential suite")
    args = ap.parse_args()
    tap, accel = start_tap(args.tap_file, os.environ.get("QEMU_TEST_ACCEL"), "qemu-test")

    def dump(mode):
        for suffix in ("", "-migrated"):
            t = read(os.path.join(args.logdir, f"qemu-console-{mode}{suffix}.log"))
            for l in t.splitlines():
                tap.line(f"#   {l}")
    if not run_modes(args.mode, MODES, lambda m: run_mode(m, args, accel, tap), dump, tap):
        return 1
    property_checks(args, tap)
    try:
        differential(args, tap)
    except Stop as e:
        tap.finish(bail=f"{e} during the differential run")
        return 1
    if os.environ.get("QEMU_TEST_KVM", "1") != "0":
        try:
            kvm_checks(args, tap)
        except Stop as e:
            tap.finish(bail=f"{e} during the KVM checks")
            return 1
    tap.finish()
    return 1 if tap.failed else 0


if __name__ == "__main__":
    sys.exit(main())
