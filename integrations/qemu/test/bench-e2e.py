#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""make bench-e2e: the same guest I/O through QEMU's intel-iommu and through
libvtd-iommu, in one run.  bench-compare counts single requests on a
scripted vIOMMU; this is what a real guest pays: Linux 6.12 (intel_iommu=on,
caching mode, so strict unmapping) streaming 4 KiB O_DIRECT requests on a
virtio-blk disk behind the vIOMMU (bench-init.sh), each request maps, DMA,
unmaps and queued invalidations.

Per device, with the same properties and machine:
  throughput  the workload without valgrind, --repeat boots, the median
              (MB/s = 10^6 bytes/s, timed in the guest from /proc/uptime)
  instructions the same QEMU under callgrind with instrumentation off until
              the guest announces a phase (@@bench-start): the runner then
              switches it on (callgrind_control -i on), the guest waits for
              its go-ahead on the console, and at @@bench-end the runner
              dumps and switches off.  Collected: only inside the vIOMMU's
              entry points (--toggle-collect), inclusive of everything they
              call (guest-memory access, locks, libvtd): what the vIOMMU
              costs QEMU.  Divided by the I/Os the guest's block layer
              completed in the phase.
KVM is used when /dev/kvm works and a guest boots under it within
--kvm-probe seconds (it printed nothing on some hosts); TCG otherwise.
Every figure is labelled with the accelerator that produced it; the
instruction run is always under TCG (valgrind).

usage: bench-e2e.py --qemu QEMU --kernel BZIMAGE --initrd CPIO
                    [--mode legacy|scalable] [--n 16384] [--cg-n 2048] [--repeat 3]
                    [--accel auto|tcg|kvm] [--logdir build-qemu]
                    [--json build-qemu/bench-e2e[-scalable].json]
"""
import argparse
import json
import os
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "tests", "vm"))
from run import die_with_parent, kvm_usable  # noqa: E402

FIRMWARE = ["-L", "/usr/share/seabios", "-L", "/usr/share/qemu"]
# --mode -> (the same properties on both devices, the guest's intel_iommu=):
# legacy mode with interrupt remapping, or scalable mode (second-stage
# tables for Linux's DMA API), caching mode in both (strict unmapping)
MODES = {"legacy": ("intremap=on,eim=off,caching-mode=on", "on"),
         "scalable": ("x-scalable-mode=on,caching-mode=on", "on,sm_on")}
PROPS, _IOMMU_ARG = MODES["legacy"]
# no_timer_check: under valgrind the timer through the remapped I/O APIC
# does not tick within the kernel's check (it panics); the same command
# line everywhere
CMDLINE_FMT = "console=ttyS0 loglevel=1 panic=-1 intel_iommu=%s no_timer_check"
CMDLINE = CMDLINE_FMT % _IOMMU_ARG
# Corresponding entry points: DMA translation (the IOMMU memory region's
# translate), the register window's MMIO write and read handlers, and the
# MSI window (a device's MSI write, remapped).  None calls another, as
# --toggle-collect needs (a nested toggle would switch collection off).
# libvtd's own vtd_iommu_translate/vtd_mem_* share names with intel-iommu's
# statics: listing those for libvtd-iommu would nest, so its list is its
# QEMU callbacks only (they call into libvtd).
ENTRY = {
    "intel-iommu": {"translate": "vtd_iommu_translate", "mmio_write": "vtd_mem_write",
                    "mmio_read": "vtd_mem_read", "msi": "vtd_mem_ir_write"},
    "libvtd-iommu": {"translate": "libvtd_translate", "mmio_write": "libvtd_mmio_write",
                     "mmio_read": "libvtd_mmio_read", "msi": "libvtd_ir_write"},
}
DEVICES = list(ENTRY)


class Fail(Exception):
    pass


class Stop(Exception):
    pass


def on_signal(signum, _frame):
    raise Stop(signal.Signals(signum).name)


def log(msg):
    print(f"bench-e2e: {msg}", file=sys.stderr, flush=True)


def qemu_cmd(a, dev, accel, disk, sock, n, sync):
    return [
        a.qemu, "-nodefaults", "-display", "none", "-no-reboot", *FIRMWARE,
        "-machine", f"q35,kernel-irqchip=split,accel={accel}",
        "-cpu", "host,-arch-capabilities" if accel == "kvm" else "max",
        "-smp", "1", "-m", "1G",
        "-device", f"{dev},{PROPS}",
        "-drive", f"file={disk},if=none,id=d0,format=raw",
        "-device", "virtio-blk-pci,drive=d0,iommu_platform=on,disable-legacy=on,addr=01.0",
        "-kernel", a.kernel, "-initrd", a.initrd,
        "-append", f"{CMDLINE} bench.n={n} bench.warm={a.warm} bench.sync={1 if sync else 0}",
        # the console on a socket: the runner reads it and answers the
        # guest's handshakes; QEMU waits for the runner to connect
        "-chardev", f"socket,id=con,path={sock},server=on,wait=on",
        "-serial", "chardev:con", "-monitor", "none",
    ]


def callgrind_prefix(a, dev, out):
    return ["valgrind", "--tool=callgrind", "--instr-atstart=no", "--collect-atstart=no",
            *[f"--toggle-collect={f}" for f in ENTRY[dev].values()],
            # TCG writes the code it runs: valgrind must see the changes
            "--smc-check=all-non-file",
            "--compress-strings=no", "--compress-pos=no",
            "--vgdb=yes", f"--vgdb-prefix={out}.vgdb",
            f"--callgrind-out-file={out}", f"--log-file={out}.log"]


def cg_control(out, pid, *args):
    cmd = ["callgrind_control", f"--vgdb-prefix={out}.vgdb", *args, str(pid)]
    t0 = time.monotonic()
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=300)
    if r.returncode:
        raise Fail(f"{' '.join(cmd)} failed ({r.returncode}): {(r.stdout + r.stderr).strip()}")
    return time.monotonic() - t0


def tail(text, n=8):
    lines = [l for l in text.splitlines() if l.strip()][-n:]
    return ("; console ends:\n    " + "\n    ".join(lines)) if lines else "; no console output"


def boot(a, dev, accel, n, tag, callgrind=False, begin_timeout=None):
    """One guest: boot, run bench-init.sh's workload, power off.  Returns a
    dict with the console, the phases the guest reported and timings."""
    disk = os.path.join(a.logdir, f"bench-disk-{tag}.img")
    with open(disk, "wb") as f:
        f.truncate(((max(n, a.warm) * 4096 >> 20) + 2) << 20)
    sock = os.path.join(a.logdir, f"bench-con-{tag}.sock")
    conlog = os.path.join(a.logdir, f"bench-console-{tag}.log")
    if os.path.exists(sock):
        os.remove(sock)
    cmd = qemu_cmd(a, dev, accel, disk, sock, n, callgrind)
    cg_out = None
    if callgrind:
        cg_out = os.path.join(a.logdir, f"bench-callgrind-{tag}.out")
        for f in os.listdir(a.logdir):
            if f.startswith(os.path.basename(cg_out)):
                os.remove(os.path.join(a.logdir, f))
        cmd = callgrind_prefix(a, dev, cg_out) + cmd
    res = {"device": dev, "accel": accel, "n": n, "cmd": cmd, "phases": {}, "data": {},
           "timings": {}, "callgrind_out": cg_out}
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, preexec_fn=die_with_parent)
    s = None
    text = ""
    con = open(conlog, "w")
    timeout = a.cg_timeout if callgrind else a.timeout
    deadline = t0 + timeout
    try:
        while True:
            try:
                s = socket.socket(socket.AF_UNIX)
                s.connect(sock)
                break
            except OSError:
                s.close()
                s = None
                if p.poll() is not None:
                    raise Fail(f"QEMU exited ({p.returncode}) before its console opened: "
                               f"{p.stdout.read().decode('utf-8', 'replace').strip()}")
                if time.monotonic() > deadline:
                    raise Fail("QEMU's console socket never appeared")
                time.sleep(0.1)
        pending = ""
        ended = False
        # read until QEMU closes the console (after the power-off): a
        # console nobody reads would stall the guest
        while True:
            now = time.monotonic()
            if now > deadline:
                if "@@begin" not in text:
                    raise Fail(f"the guest did not reach /init (no @@begin) within {timeout} s"
                               + tail(text))
                raise Fail(f"no power-off within {timeout} s" + tail(text))
            if begin_timeout and "@@begin" not in text and now - t0 > begin_timeout:
                res["no_begin"] = True
                return res
            r, _, _ = select.select([s], [], [], 0.2)
            if not r:
                if p.poll() is not None:
                    break
                continue
            chunk = s.recv(65536)
            if not chunk:
                break
            chunk = chunk.decode("utf-8", "replace").replace("\r", "")
            con.write(chunk)
            con.flush()
            text += chunk
            pending += chunk
            *lines, pending = pending.split("\n")
            for line in lines:
                if "@@" not in line:
                    continue
                w = line[line.index("@@"):].split()
                if w[0] == "@@begin":
                    res["timings"]["to_init"] = time.monotonic() - t0
                elif w[0] == "@@data" and len(w) >= 3:
                    res["data"][w[1]] = w[2]
                elif w[0] == "@@fail":
                    # the guest prints the end of its kernel log, then powers off
                    res["fail"] = " ".join(w[1:])
                elif w[0] == "@@bench-start":
                    res["timings"][f"{w[1]}_start"] = time.monotonic() - t0
                    if callgrind:
                        res["timings"][f"{w[1]}_instr_on"] = cg_control(cg_out, p.pid, "-i", "on")
                        s.sendall(b"\n")
                elif w[0] == "@@bench-end":
                    res["timings"][f"{w[1]}_end"] = time.monotonic() - t0
                    if callgrind:
                        res["timings"][f"{w[1]}_dump"] = cg_control(cg_out, p.pid,
                                                                    f"--dump={w[1]}")
                        cg_control(cg_out, p.pid, "-i", "off")
                        s.sendall(b"\n")
                elif w[0] == "@@bench-result":
                    rc, u0, u1 = int(w[2]), float(w[3]), float(w[4])
                    st0 = [int(x) for x in w[5].split(",")]
                    st1 = [int(x) for x in w[6].split(",")]
                    # /sys/block/vda/stat: reads completed [0], sectors [2];
                    # writes completed [4], sectors [6]
                    i = 4 if w[1] == "write" else 0
                    res["phases"][w[1]] = {"rc": rc, "secs": u1 - u0, "ios": st1[i] - st0[i],
                                           "bytes": (st1[i + 2] - st0[i + 2]) * 512}
                elif w[0] == "@@end":
                    ended = True
        try:
            out, _ = p.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            raise Fail("QEMU did not exit after the guest's power-off")
        res["rc"] = p.returncode
        res["qemu_out"] = "\n".join(
            l for l in out.decode("utf-8", "replace").splitlines()
            if l.strip() and "QEMU waiting for connection" not in l)
        if res.get("fail"):
            raise Fail(f"the guest's workload failed: {res['fail']}" + tail(text, 40))
        if not ended:
            raise Fail(f"the guest stopped before @@end (QEMU exit {p.returncode}"
                       f"{': ' + res['qemu_out'] if res['qemu_out'] else ''})" + tail(text))
        if p.returncode:
            raise Fail(f"QEMU exited with {p.returncode}: {res['qemu_out']}")
    except Fail as e:
        res["error"] = str(e)
        raise Fail(f"{dev} ({accel}, {tag}): {e}; console in {conlog}") from None
    finally:
        if s:
            s.close()
        con.close()
        if p.poll() is None:
            p.kill()
            p.wait()
        res["timings"]["total"] = time.monotonic() - t0
        res["console"] = text
        for f in (disk, sock):
            if os.path.exists(f):
                os.remove(f)
    for d in ("write", "read"):
        ph = res["phases"].get(d)
        if not ph or ph["rc"] != 0 or ph["ios"] <= 0:
            raise Fail(f"{dev} ({accel}, {tag}): the {d} phase did not complete: {ph}")
    return res


def parse_callgrind(path, names):
    """Ir collected in one dump (the totals line) and the calls into each
    entry point (calls= lines after cfn=)."""
    total = None
    calls = {k: 0 for k in names}
    rev = {v: k for k, v in names.items()}
    cfn = None
    with open(path) as f:
        for line in f:
            if line.startswith("totals:") or (total is None and line.startswith("summary:")):
                total = int(line.split()[1])
            elif line.startswith("cfn="):
                cfn = line[4:].strip()
            elif line.startswith("calls=") and cfn is not None:
                if cfn in rev:
                    calls[rev[cfn]] += int(line[6:].split()[0])
                cfn = None
    if total is None:
        raise Fail(f"no totals in {path}")
    return total, calls


def callgrind_phases(res):
    """The dump of each phase: callgrind_control --dump=DIR writes
    OUT.1, OUT.2, ... in order, with 'desc: Trigger: ... DIR'."""
    out = res["callgrind_out"]
    d, base = os.path.split(out)
    found = {}
    for f in sorted(os.listdir(d)):
        if not f.startswith(base + ".") or not f[len(base) + 1:].isdigit():
            continue
        path = os.path.join(d, f)
        with open(path) as fh:
            for line in fh:
                if line.startswith("desc: Trigger:"):
                    for ph in ("write", "read"):
                        if line.rstrip().endswith(ph):
                            found[ph] = path
                    break
                if line.startswith("fn=") or line.startswith("totals:"):
                    break
    out = {}
    for ph in ("write", "read"):
        if ph not in found:
            raise Fail(f"no callgrind dump of the {ph} phase beside {res['callgrind_out']}")
        ir, calls = parse_callgrind(found[ph], ENTRY[res["device"]])
        ios = res["phases"][ph]["ios"]
        out[ph] = {"file": found[ph], "ir": ir, "ios": ios, "ir_per_io": ir / ios,
                   "calls": calls, "calls_per_io": {k: v / ios for k, v in calls.items()}}
    return out


def pick_accel(a):
    """kvm when asked (or auto) and a guest prints its first line under it
    within --kvm-probe seconds; else tcg.  Returns (accel, note)."""
    if a.accel == "tcg":
        return "tcg", "TCG (--accel tcg)"
    if not kvm_usable():
        if a.accel == "kvm":
            raise Fail("--accel kvm: /dev/kvm is not usable")
        return "tcg", "TCG (/dev/kvm not usable)"
    t0 = time.monotonic()
    try:
        r = boot(a, DEVICES[0], "kvm", a.warm, "kvm-probe", begin_timeout=a.kvm_probe)
        why = (f"under KVM the guest printed no @@begin within {a.kvm_probe} s"
               if r.get("no_begin") else None)
    except Fail as e:
        why = f"the KVM probe failed: {e}"
    if why:
        if a.accel == "kvm":
            raise Fail(f"--accel kvm: {why}")
        return "tcg", f"TCG ({why}; probe took {time.monotonic() - t0:.0f} s)"
    return "kvm", f"KVM (a guest booted under KVM in {r['timings'].get('to_init', 0):.1f} s)"


def identity(path):
    """What was measured: the QEMU binary's hash and time (a rebuild
    between runs, libvtd changed under it, would mix two libraries)."""
    import hashlib
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    st = os.stat(path)
    return {"sha256": h.hexdigest()[:16],
            "mtime": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(st.st_mtime))}


def git_tree():
    r = subprocess.run(["git", "-C", HERE, "describe", "--always", "--dirty"],
                       capture_output=True, text=True)
    return r.stdout.strip() or "?"


def fmt(v, spec):
    return "-" if v is None else format(v, spec)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--qemu", required=True)
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--initrd", required=True)
    ap.add_argument("--n", type=int, default=int(os.environ.get("BENCH_E2E_N", "16384")),
                    help="4 KiB requests per direction in the throughput runs")
    ap.add_argument("--cg-n", type=int, default=int(os.environ.get("BENCH_E2E_CG_N", "2048")),
                    help="requests per direction in the callgrind run")
    ap.add_argument("--warm", type=int, default=64, help="unmeasured requests first")
    ap.add_argument("--repeat", type=int, default=int(os.environ.get("BENCH_E2E_REPEAT", "3")))
    ap.add_argument("--accel", choices=("auto", "tcg", "kvm"),
                    default=os.environ.get("BENCH_E2E_ACCEL", "auto"))
    ap.add_argument("--kvm-probe", type=int, default=20,
                    help="s for a KVM guest to reach /init before TCG is used")
    ap.add_argument("--mode", choices=sorted(MODES),
                    default=os.environ.get("BENCH_E2E_MODE", "legacy"),
                    help="legacy (default) or scalable mode, the same on both devices")
    ap.add_argument("--no-callgrind", action="store_true")
    ap.add_argument("--logdir", default="build-qemu")
    ap.add_argument("--json", default=None)
    ap.add_argument("--timeout", type=int, default=300, help="s per plain boot")
    ap.add_argument("--cg-timeout", type=int, default=1200, help="s per boot under callgrind")
    a = ap.parse_args()
    global PROPS, CMDLINE
    PROPS, arg = MODES[a.mode]
    CMDLINE = CMDLINE_FMT % arg
    a.json = a.json or os.path.join(
        a.logdir, "bench-e2e.json" if a.mode == "legacy" else "bench-e2e-%s.json" % a.mode)
    os.makedirs(a.logdir, exist_ok=True)
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(sig, on_signal)
    if not a.no_callgrind and not (shutil.which("valgrind") and shutil.which("callgrind_control")):
        log("valgrind/callgrind_control not installed: the instruction counts are left out")
        a.no_callgrind = True
    try:
        return run(a)
    except Fail as e:
        log(f"FAILED: {e}")
        return 1
    except Stop as e:
        log(f"stopped by {e}")
        return 1


def run(a):
    t_all = time.monotonic()
    wall = {}
    qemu_id = identity(a.qemu)
    t0 = time.monotonic()
    accel, accel_note = pick_accel(a)
    wall["accelerator probe"] = time.monotonic() - t0
    log(f"accelerator: {accel_note}")

    # boots alternate between the devices, so a drift in the host's load
    # reaches both alike
    runs = {dev: [] for dev in DEVICES}
    t0 = time.monotonic()
    for i in range(a.repeat):
        for dev in DEVICES:
            r = boot(a, dev, accel, a.n, f"{dev}-{i}")
            w, rd = r["phases"]["write"], r["phases"]["read"]
            log(f"{dev} ({accel}) run {i + 1}/{a.repeat}: write {w['bytes'] / w['secs'] / 1e6:.2f} "
                f"MB/s, read {rd['bytes'] / rd['secs'] / 1e6:.2f} MB/s "
                f"({r['timings']['total']:.1f} s)")
            runs[dev].append(r)
    wall[f"throughput ({a.repeat} boots per device)"] = time.monotonic() - t0

    cg = {}
    if not a.no_callgrind:
        for dev in DEVICES:
            t0 = time.monotonic()
            r = boot(a, dev, "tcg", a.cg_n, f"{dev}-callgrind", callgrind=True)
            r["ir"] = callgrind_phases(r)
            cg[dev] = r
            wall[f"callgrind {dev}"] = time.monotonic() - t0
            log(f"{dev} (tcg, callgrind) {a.cg_n} requests/direction: write "
                f"{r['ir']['write']['ir_per_io']:.0f} Ir/IO, read "
                f"{r['ir']['read']['ir_per_io']:.0f} Ir/IO ({wall[f'callgrind {dev}']:.0f} s)")

    rows = []
    for dev in DEVICES:
        row = {"device": dev, "accel": accel, "runs": []}
        for r in runs[dev]:
            row["runs"].append({ph: {k: r["phases"][ph][k] for k in ("ios", "bytes", "secs")}
                                for ph in ("write", "read")})
        for ph in ("write", "read"):
            mbs = [x[ph]["bytes"] / x[ph]["secs"] / 1e6 for x in row["runs"]]
            iops = [x[ph]["ios"] / x[ph]["secs"] for x in row["runs"]]
            row[f"{ph}_mbs"] = statistics.median(mbs)
            row[f"{ph}_mbs_all"] = mbs
            row[f"{ph}_iops"] = statistics.median(iops)
        c = cg.get(dev)
        if c:
            row["cg_accel"] = "tcg"
            row["cg_n"] = a.cg_n
            for ph in ("write", "read"):
                row[f"{ph}_ir_per_io"] = c["ir"][ph]["ir_per_io"]
                row[f"{ph}_ir"] = c["ir"][ph]["ir"]
                row[f"{ph}_ios_cg"] = c["ir"][ph]["ios"]
                row[f"{ph}_calls_per_io"] = c["ir"][ph]["calls_per_io"]
        row["guest_cap"] = runs[dev][0]["data"].get("cap")
        row["guest_ecap"] = runs[dev][0]["data"].get("ecap")
        row["strict"] = runs[dev][0]["data"].get("strict")
        rows.append(row)

    # ---- the table --------------------------------------------------------
    def cpi(row, ph, k):
        return row.get(f"{ph}_calls_per_io", {}).get(k)

    hdr = ["accel", "device", "write MB/s", "read MB/s", "IO/s w", "IO/s r",
           "Ir/IO w", "Ir/IO r", "xlate/IO w/r", "MMIO wr/IO w/r", "MMIO rd/IO w/r",
           "MSI/IO w/r"]
    table = []
    for row in rows:
        acc = row["accel"] + ("" if not row.get("cg_accel") or row["cg_accel"] == row["accel"]
                              else f" (Ir: {row['cg_accel']})")
        table.append([acc, row["device"], fmt(row["write_mbs"], ".2f"), fmt(row["read_mbs"], ".2f"),
                      fmt(row["write_iops"], ".0f"), fmt(row["read_iops"], ".0f"),
                      fmt(row.get("write_ir_per_io"), ".0f"),
                      fmt(row.get("read_ir_per_io"), ".0f")] +
                     [f"{fmt(cpi(row, 'write', k), '.2f')}/{fmt(cpi(row, 'read', k), '.2f')}"
                      for k in ("translate", "mmio_write", "mmio_read", "msi")])
    q, lv = rows[0], rows[1]

    def ratio(k):
        return None if q.get(k) is None or not lv.get(k) else q[k] / lv[k]

    def cratio(k):
        pair = []
        for ph in ("write", "read"):
            x, y = cpi(q, ph, k), cpi(lv, ph, k)
            pair.append(None if x is None or not y else x / y)
        return f"{fmt(pair[0], '.2f')}/{fmt(pair[1], '.2f')}"
    ratios = {k: ratio(k) for k in ("write_mbs", "read_mbs", "write_iops", "read_iops",
                                     "write_ir_per_io", "read_ir_per_io")}
    table.append(["", "intel/libvtd", *[fmt(ratios[k], ".2f") + "x" for k in
                                        ("write_mbs", "read_mbs", "write_iops", "read_iops",
                                         "write_ir_per_io", "read_ir_per_io")],
                  *[cratio(k) for k in ("translate", "mmio_write", "mmio_read", "msi")]])
    widths = [max(len(str(r[i])) for r in [hdr] + table) for i in range(len(hdr))]

    def line(r):
        return " | ".join(str(v).rjust(widths[i]) if i > 1 else str(v).ljust(widths[i])
                          for i, v in enumerate(r))
    wall["total"] = time.monotonic() - t_all
    qemu_after = identity(a.qemu)
    print()
    print(f"End-to-end guest I/O: Linux 6.12, dd 4 KiB O_DIRECT on virtio-blk behind the vIOMMU "
          f"(-device DEV,{PROPS}; q35, kernel-irqchip=split, -smp 1 -m 1G)")
    print(f"QEMU {a.qemu} sha256 {qemu_id['sha256']}... built {qemu_id['mtime']}; "
          f"tree {git_tree()}")
    if qemu_after != qemu_id:
        print(f"WARNING: {a.qemu} changed during the run (now sha256 {qemu_after['sha256']}..., "
              f"{qemu_after['mtime']}): the figures may mix two builds")
    print(f"throughput: {accel_note}; {a.n} requests/direction, median of {a.repeat} boots; "
          f"MB/s = 10^6 B/s")
    if cg:
        print(f"instructions: TCG under callgrind, {a.cg_n} requests/direction, inclusive Ir in "
              f"the entry points below divided by the I/Os the guest completed")
    print(line(hdr))
    print("-+-".join("-" * w for w in widths))
    for r in table:
        print(line(r))
    print("entry points (toggle-collect):")
    for dev in DEVICES:
        print(f"  {dev}: " + ", ".join(f"{k} {v}" for k, v in ENTRY[dev].items()))
    for row in rows:
        print(f"  {row['device']}: guest CAP {row['guest_cap']} ECAP {row['guest_ecap']}, "
              f"strict unmapping (IOMMU batching disallowed) "
              f"{'yes' if row['strict'] == '1' else 'NO'}; "
              f"write MB/s of each boot {', '.join(f'{v:.2f}' for v in row['write_mbs_all'])}; "
              f"read {', '.join(f'{v:.2f}' for v in row['read_mbs_all'])}")
    print("wall time: " + "; ".join(f"{k} {v:.0f} s" for k, v in wall.items()))
    cmds = {dev: " ".join(runs[dev][0]["cmd"]) for dev in DEVICES}
    cmds.update({f"{dev} (callgrind)": " ".join(cg[dev]["cmd"]) for dev in cg})
    doc = {"qemu": a.qemu, "qemu_binary": qemu_id, "qemu_binary_after": qemu_after,
           "tree": git_tree(), "kernel": a.kernel, "initrd": a.initrd,
           "accel": accel, "accel_note": accel_note, "props": PROPS, "cmdline": CMDLINE,
           "n": a.n, "cg_n": a.cg_n, "warm": a.warm, "repeat": a.repeat, "entry_points": ENTRY,
           "rows": rows, "ratios_intel_over_libvtd": ratios, "wall_seconds": wall,
           "commands": cmds,
           "callgrind": {dev: {"timings": cg[dev]["timings"], "phases": cg[dev]["ir"]}
                         for dev in cg},
           "throughput_timings": {dev: [r["timings"] for r in runs[dev]] for dev in DEVICES}}
    with open(a.json, "w") as f:
        json.dump(doc, f, indent=1)
    print(f"json: {a.json}")
    for k, v in cmds.items():
        print(f"command {k}: {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
