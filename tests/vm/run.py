#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""vm-test runner: boot the guest kernel + initramfs under QEMU with an
emulated intel-iommu and an edu device, once per mode (legacy, scalable),
turn the guest's "@@" lines (see init.sh) plus host-side comparisons into
TAP on stdout, and print the guest console when anything fails.

usage: run.py --kernel BZIMAGE --initrd CPIO --vtd VTD [--mode legacy,scalable]
              [--logdir DIR] [--timeout S] [--tap-file FILE]
"""
import argparse
import ctypes
import json
import os
import signal
import subprocess
import sys
import time

# QEMU properties for each mode; the same string configures `vtd caps`.
MODES = {
    "legacy": "aw-bits=48,intremap=on,eim=off,caching-mode=off",
    "scalable": "aw-bits=48,intremap=on,eim=off,caching-mode=off,x-scalable-mode=on",
}
GUEST_CMDLINE = {
    "legacy": "intel_iommu=on",
    "scalable": "intel_iommu=on,sm_on",
}

# Where QEMU 7.2 advertises other CAP/ECAP bits than libvtd's model of the
# same properties (libvtd follows current QEMU).  Bits in these masks are
# ignored by the comparison and reported as diagnostics instead.
#   (filled from measurements; each entry: mode -> (cap_mask, ecap_mask, why))
ESRTPS = 1 << 63  # CAP.ESRTPS: 7.2 and 10.0 do not advertise it (vtd_cap_init gained it in 10.2)
KNOWN_DIFF = {
    "legacy": (ESRTPS, 0, "CAP.ESRTPS (bit 63) is not set by QEMU 7.2"),
    "scalable": (ESRTPS, 0, "CAP.ESRTPS (bit 63) is not set by QEMU 7.2"),
}


class Stop(Exception):
    """A terminating signal (SIGTERM, SIGHUP, SIGINT) arrived."""


def on_signal(signum, _frame):
    raise Stop(signal.Signals(signum).name)


LIBC = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG = 1


def die_with_parent():
    # Runs in the child between fork and exec: QEMU gets SIGKILL when this
    # runner goes away for any reason (even SIGKILL), so no guest outlives
    # a killed CI job.
    LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    # the parent may have died between fork and prctl
    if os.getppid() == 1:
        os._exit(1)


def kvm_usable():
    try:
        fd = os.open("/dev/kvm", os.O_RDWR)
        os.close(fd)
        return True
    except OSError:
        return False


class Tap:
    """TAP on stdout, and the same lines in a file (when given) that
    scripts/test-summary.py adds into make test's closing summary."""

    def __init__(self, path=None, name="vm-test"):
        self.name = name
        self.n = 0
        self.failed = 0
        self.file = None
        if path:
            # write to a temporary name; renamed when the plan is out, so a
            # run cut short never leaves a complete-looking file behind
            self.path = path
            self.file = open(path + ".tmp", "w")

    def line(self, text):
        print(text, flush=True)
        if self.file:
            self.file.write(text + "\n")
            self.file.flush()

    def result(self, ok, desc):
        self.n += 1
        if not ok:
            self.failed += 1
        self.line(f"{'' if ok else 'not '}ok {self.n} - {desc}")
        return ok

    def diag(self, text):
        for line in str(text).splitlines():
            self.line(f"# {line}")

    def finish(self, bail=None):
        if bail:
            self.line(f"Bail out! {bail}")
        else:
            self.line(f"1..{self.n}")
            self.line(f"# {self.name}: {self.n - self.failed} passed, {self.failed} failed")
        if self.file:
            self.file.close()
            os.replace(self.path + ".tmp", self.path)


def boot(mode, args, accel):
    props = MODES[mode]
    # the console goes to a file as it happens (tail -f it while waiting)
    log = os.path.join(args.logdir, f"console-{mode}.log")
    open(log, "w").close()
    qemu = [
        args.qemu, "-nodefaults", "-display", "none", "-no-reboot",
        "-machine", f"q35,kernel-irqchip=split,accel={accel}",
        # -arch-capabilities: some (nested) KVM hosts refuse MSR 0x10a
        "-cpu", os.environ.get("VM_CPU") or ("host,-arch-capabilities" if accel == "kvm" else "max"),
        "-smp", "1", "-m", "512M",
        "-device", f"intel-iommu,{props}",
        "-device", "edu,dma_mask=0xFFFFFFFF",
        "-kernel", args.kernel, "-initrd", args.initrd,
        "-append", f"console=ttyS0 loglevel={args.loglevel} panic=-1 "
                   f"{GUEST_CMDLINE[mode]} vmtest.mode={mode}",
        "-serial", f"file:{log}", "-monitor", "none",
    ]
    start = time.monotonic()
    timed_out = False
    p = subprocess.Popen(qemu, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, preexec_fn=die_with_parent)
    try:
        out, _ = p.communicate(timeout=args.timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        p.kill()
        out, _ = p.communicate()
    finally:
        # on a signal or any other exception: QEMU goes first
        if p.poll() is None:
            p.kill()
            p.wait()
    rc = None if timed_out else p.returncode
    secs = time.monotonic() - start
    with open(log, "rb") as f:
        text = f.read().decode("utf-8", "replace").replace("\r", "")
    if out:
        text += "\n[qemu] " + out.decode("utf-8", "replace")
    return qemu, text, rc, timed_out, secs


def vtd_caps(vtd, props):
    p = subprocess.run([vtd, "caps", "--config", props, "--json"], capture_output=True,
                       text=True)
    if p.returncode:
        return None, p.stdout + p.stderr
    j = json.loads(p.stdout)
    return (int(j["cap"], 16), int(j["ecap"], 16), int(j["ver"], 16)), ""


def print_console(tap, mode, log, text):
    tap.line(f"# ---- {mode}: guest console ({log}) ----")
    for l in text.splitlines():
        tap.line(f"#   {l}")
    tap.line(f"# ---- end of {mode} console ----")


def guest_results(text, mode, tap):
    """The guest's "@@" lines (init.sh's protocol; also the qemu-test
    guest's): @@ok / @@not ok become TAP results, @@# diagnostics, @@data
    KEY VALUE facts; the kernel log between @@dmesg-begin and @@dmesg-end is
    skipped.  Reports whether /init ran; returns (lines, data)."""
    lines = [l[l.index("@@"):] for l in text.splitlines() if "@@" in l]
    data = {}
    tap.result(any(l.startswith("@@begin") for l in lines), f"{mode}: guest booted and ran /init")
    in_dmesg = False
    for l in lines:
        if l == "@@dmesg-begin":
            in_dmesg = True
        elif l == "@@dmesg-end":
            in_dmesg = False
        if in_dmesg:
            continue
        if l.startswith("@@ok "):
            tap.result(True, f"{mode}: {l[5:]}")
        elif l.startswith("@@not ok "):
            tap.result(False, f"{mode}: {l[9:]}")
        elif l.startswith("@@# "):
            tap.diag(f"{mode}: {l[4:]}")
        elif l.startswith("@@data "):
            parts = l[7:].split(" ", 1)
            data[parts[0]] = parts[1].strip() if len(parts) > 1 else ""
    return lines, data


def run_mode(mode, args, accel, tap):
    qemu, text, rc, timed_out, secs = boot(mode, args, accel)
    if accel == "kvm" and "@@begin" not in text and not os.environ.get("VM_ACCEL"):
        tap.diag(f"{mode}: no guest output under KVM (exit {rc}): retrying under TCG")
        for l in text.splitlines()[-10:]:
            tap.diag(f"{mode}:   {l}")
        accel = "tcg"
        qemu, text, rc, timed_out, secs = boot(mode, args, accel)
    log = os.path.join(args.logdir, f"console-{mode}.log")
    tap.diag(f"{mode}: {' '.join(qemu)}")
    tap.diag(f"{mode}: guest ran {secs:.1f} s ({accel}); console in {log}")
    if timed_out:
        tap.diag(f"{mode}: no poweroff within {args.timeout} s (VM_TIMEOUT): QEMU killed")
    failed_before = tap.failed

    lines, data = guest_results(text, mode, tap)
    ended = "@@end" in lines
    tap.result(ended and not timed_out,
               f"{mode}: guest finished{' (timed out after %d s)' % args.timeout if timed_out else ''}")

    # ---- host-side comparisons ------------------------------------------
    exp, err = vtd_caps(args.vtd, MODES[mode])
    if exp is None:
        tap.result(False, f"{mode}: vtd caps --config {MODES[mode]}: {err.strip()}")
    else:
        cap_m, ecap_m, why = KNOWN_DIFF[mode]
        try:
            cap = int(data.get("sysfs_cap", ""), 16)
            ecap = int(data.get("sysfs_ecap", ""), 16)
        except ValueError:
            cap = ecap = None
        if cap is None:
            tap.result(False, f"{mode}: sysfs CAP/ECAP read in the guest")
        else:
            tap.diag(f"{mode}: guest sysfs cap 0x{cap:x} ecap 0x{ecap:x}; "
                     f"vtd caps cap 0x{exp[0]:x} ecap 0x{exp[1]:x}")
            dcap, decap = (cap ^ exp[0]), (ecap ^ exp[1])
            if dcap or decap:
                tap.diag(f"{mode}: differing bits cap 0x{dcap:x} ecap 0x{decap:x}"
                         f"{' (known: ' + why + ')' if why else ''}")
            tap.result((dcap & ~cap_m) == 0 and (decap & ~ecap_m) == 0,
                       f"{mode}: CAP/ECAP QEMU advertises equal `vtd caps --config {MODES[mode]}`"
                       f" (known QEMU 7.2 differences masked: cap 0x{cap_m:x} ecap 0x{ecap_m:x})")
            tap.result(data.get("probe_cap") == f"0x{cap:x}" and data.get("probe_ecap") == f"0x{ecap:x}",
                       f"{mode}: vtd host probe shows the sysfs CAP/ECAP")
            tap.result(data.get("probe_fd_cap") == f"0x{cap:x}" and
                       data.get("probe_fd_ecap") == f"0x{ecap:x}",
                       f"{mode}: vtd host probe shows the iommufd view (IOMMU_GET_HW_INFO) equal to sysfs")
            tap.result(data.get("check_cap") == f"0x{cap:x}" and data.get("check_ecap") == f"0x{ecap:x}",
                       f"{mode}: the iommufd view (IOMMU_GET_HW_INFO via vtd check --device) "
                       f"equals sysfs")

    # ---- the compatibility verdicts -------------------------------------
    expect = {"check": "fs1gp nesting", "check_fs1gp_off": "nesting"}
    for tag, want in expect.items():
        got = data.get(f"{tag}_errors", "?").strip()
        tap.result(data.get(f"{tag}_rc") == "1" and got == want and
                   data.get(f"{tag}_summary", "").endswith("incompatible with guest stage-1 translation"),
                   f"{mode}: vtd check --device ... "
                   f"{'x-scalable-mode=on,x-flts=on,caching-mode=on' + (',fs1gp=off' if 'fs1gp' in tag else '')}"
                   f": incompatible, errors exactly [{want}] (got [{got}], rc {data.get(tag + '_rc')})")

    # the host check in a VMM (libvtd-iommu in QEMU 10.0, when carried)
    if args.vmm:
        want = data.get("check_errors", "?").strip()
        got = data.get("vmm_flts_on_errors", "?").strip()
        tap.result(data.get("vmm_present") == "1", f"{mode}: QEMU 10.0 with libvtd-iommu in the guest")
        tap.result(data.get("vmm_flts_on_rc") == "1" and data.get("vmm_flts_on_summary") == "1" and
                   got == want,
                   f"{mode}: QEMU -device vfio-pci (iommufd) + libvtd-iommu,x-flts=on refuses to start "
                   f"with the findings vtd check reports for this host: [{got}] (vtd check: [{want}], "
                   f"exit {data.get('vmm_flts_on_rc')})")
        tap.result(data.get("vmm_flts_off_rc") == "0",
                   f"{mode}: the same with x-flts=off starts (exit {data.get('vmm_flts_off_rc')})")

    if tap.failed != failed_before:
        print_console(tap, mode, log, text)


def start_tap(path, accel, name):
    """TAP to stdout (and path), terminating signals turned into Stop, and
    the accelerator: accel if it is kvm and /dev/kvm works, else tcg."""
    accel = accel or "tcg"
    if accel == "kvm" and not kvm_usable():
        accel = "tcg"
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(sig, on_signal)
    tap = Tap(path, name=name)
    tap.line("TAP version 13")
    tap.diag(f"accelerator: {accel}")
    return tap, accel


def run_modes(modes, known, run_one, dump, tap):
    """run_one(mode) for each of the comma-separated modes; a runner bug
    is a failing result with the guest's console (dump(mode)), a signal
    bails out.  False when bailed out (the TAP is finished then)."""
    for mode in modes.split(","):
        if mode not in known:
            tap.result(False, f"{mode}: unknown mode (known: {', '.join(known)})")
            continue
        try:
            run_one(mode)
        except Stop as e:
            tap.finish(bail=f"{e} during the {mode} run; QEMU killed")
            return False
        except Exception as e:  # a bug here must not hide the guest's output
            tap.result(False, f"{mode}: runner error: {type(e).__name__}: {e}")
            dump(mode)
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--initrd", required=True)
    ap.add_argument("--vtd", required=True)
    ap.add_argument("--qemu", default="qemu-system-x86_64")
    ap.add_argument("--mode", default="legacy,scalable")
    ap.add_argument("--logdir", default="build-vm")
    ap.add_argument("--timeout", type=int, default=int(os.environ.get("VM_TIMEOUT", "300")))
    ap.add_argument("--loglevel", default=os.environ.get("VM_LOGLEVEL", "1"))
    ap.add_argument("--tap-file", help="also write the TAP here (for scripts/test-summary.py)")
    ap.add_argument("--vmm", action="store_true",
                    help="the initramfs carries QEMU with libvtd-iommu: check the host check")
    args = ap.parse_args()
    # KVM is opt-in (VM_ACCEL=kvm): on nested hosts a KVM guest may hang
    # silently before the first console byte.
    tap, accel = start_tap(args.tap_file, os.environ.get("VM_ACCEL"), "vm-test")

    def dump(mode):
        log = os.path.join(args.logdir, f"console-{mode}.log")
        if os.path.exists(log):
            with open(log, "rb") as f:
                print_console(tap, mode, log, f.read().decode("utf-8", "replace"))
    if not run_modes(args.mode, MODES, lambda m: run_mode(m, args, accel, tap), dump, tap):
        return 1
    tap.finish()
    return 1 if tap.failed else 0


if __name__ == "__main__":
    sys.exit(main())
