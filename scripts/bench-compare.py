#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""make bench-compare: instructions per request in libvtd and in QEMU's
intel-iommu, on the same guest actions, counted by callgrind.

The same `vtd replay` script runs on libvtd (`vtd replay`) and on QEMU's
intel-iommu (tests/qemu/qemu_replay.py: q35 under qtest, the edu device at
00:03.0 making the DMA).  Callgrind collects only inside the vIOMMU's entry
points: the translate function (libvtd's vtd_iommu_translate; QEMU's
vtd_iommu_translate in hw/i386/intel_iommu.c, the IOMMU region's translate)
and, for the strict cycle, the MMIO write handler (vtd_iommu_mmio_write;
QEMU's vtd_mem_write).  Each scenario runs at two sizes, K1 and K2 requests
(or cycles), and the figure is (Ir(K2) - Ir(K1)) / (K2 - K1): set-up,
start-up and the first request's cold caches cancel out.

Scenarios, legacy mode, a 4-level second stage (aw-bits=48), DID 1:
  hit    the same page read by DMA again and again (an IOTLB hit)
  miss   a new page per DMA, every page mapped beforehand (walk + insert)
  cycle  per cycle: the leaf entry written, one DMA (a miss), the entry
         cleared, a page-selective IOTLB descriptor and a wait descriptor
         (status write) queued, IQT written: what Linux does per streaming
         DMA with caching mode on (strict unmapping)
The same in scalable mode (x-scalable-mode=on: root, scalable context
entry, PASID directory and table; the DMA, without PASID, takes RID_PASID
0), through a 4-level second stage (PGTT 2, DID 1: sm-hit, sm-miss,
sm-cycle) and through a 4-level first stage (x-flts=on, PGTT 1: fs-hit,
fs-miss; QEMU 7.2 has no first stage, its column reads "-" there).

Rows for libvtd alone (both QEMU columns read "-"):
  nest-hit, nest-miss  a 4-level first stage nested over a 4-level second
         stage (x-nest=on, PGTT 3) that maps the tables and the data with
         4 KiB pages, one to one: QEMU emulates no nested translation (its
         x-flts nests only on the host IOMMU, through iommufd)
  pasid-hit, pasid-miss  the first stage of PASID 1, DMA tagged with it
         (x-pasid-mode=on, PASIDE): the edu device makes no DMA with a
         PASID, so QEMU cannot run the script

QEMU binaries: $QEMU100 (default: the device issue's QEMU 10.0 source build,
build-qemu/qemu-system-x86_64, -O2 -g) and $QEMU72 (a QEMU 7.2 build with
symbols; the column is left out when none is given: Debian's 7.2 binary has
no symbols to count in).  DMA outcomes are not compared here (the trace is
off so as not to count its cost); tests/qemu does that.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
REG = 0xFED90000
GCMD, RTADDR, IQT, IQA = 0x18, 0x20, 0x88, 0x90
ROOTT, CTX, PML4, PDPT, PD, PT = 0x100000, 0x101000, 0x102000, 0x103000, 0x104000, 0x105000
PDIR, PTAB = 0x106000, 0x107000
SCENARIOS = ["hit", "miss", "cycle", "sm-hit", "sm-miss", "sm-cycle", "fs-hit", "fs-miss",
             "nest-hit", "nest-miss", "pasid-hit", "pasid-miss"]
LIBVTD_ONLY = ("nest", "pasid")   # modes no QEMU can run
SSPML4, SSPDPT, SSPD = 0x108000, 0x109000, 0x10a000   # nest: the second stage
SSPT0, SSPT8 = 0x10b000, 0x10c000     # its page tables for 0-2 MiB and 16-18 MiB
IQ, STATUS, DATA = 0x200000, 0x201000, 0x1000000
BDF, DEVFN = "00:03.0", 0x18
K1, K2 = 40, 240


def q(addr, val):
    return "write %#x 8 0x%s" % (addr, val.to_bytes(8, "little").hex())


def mode_of(scn):
    """legacy, sm (scalable, second stage) or fs (scalable, first stage)"""
    return scn.split("-")[0] if "-" in scn else "legacy"


def config_of(mode):
    """The unit's properties: the script's '# config:' line for QEMU
    (qemu_replay.py), --config for vtd replay"""
    return "aw-bits=48" + {"legacy": "", "sm": ",x-scalable-mode=on",
                           "fs": ",x-scalable-mode=on,x-flts=on",
                           "nest": ",x-scalable-mode=on,x-nest=on",
                           "pasid": ",x-scalable-mode=on,x-flts=on,x-pasid-mode=on"}[mode]


def first_stage(mode):
    return mode in ("fs", "nest", "pasid")


def setup(mode, cycle):
    # second stage: R/W (3); first stage: P, R/W and U/S (7), as Linux maps
    # DMA buffers for a device (requests without PASID are user requests)
    nl = 7 if first_stage(mode) else 3
    s = ["# config: " + config_of(mode)]
    if mode == "legacy":
        s += [q(ROOTT, CTX | 1),
              q(CTX + DEVFN * 16, PML4 | 1),          # P, TT=0, SLPTPTR
              q(CTX + DEVFN * 16 + 8, 2 | (1 << 8))]  # AW=2 (4-level), DID 1
    else:
        pgtt = {"fs": 1, "pasid": 1, "sm": 2, "nest": 3}[mode]
        # the second stage's table: the data's (sm) or the nested one's
        sspt = {"sm": PML4, "nest": SSPML4}.get(mode, 0)
        # pasid: PASIDE, and the entry of PASID 1 (64 bytes further)
        pe = PTAB + (64 if mode == "pasid" else 0)
        s += [q(ROOTT, CTX | 1),                      # lower half: devfn < 128
              q(CTX + (DEVFN & 0x7f) * 32, PDIR | (8 if mode == "pasid" else 0) | 1),
              q(CTX + (DEVFN & 0x7f) * 32 + 8, 0),    # RID_PASID 0
              q(PDIR, PTAB | 1),
              # the PASID entry: P, AW=2 (48 bits, which QEMU 10.0 also
              # takes as the first stage's width), PGTT, the tables; DID 1
              q(pe, sspt | (2 << 2) | (pgtt << 6) | 1),
              q(pe + 8, 1),
              q(pe + 16, PML4 if first_stage(mode) else 0)]
        if mode == "nest":
            # one to one, 4 KiB pages: the first stage's tables (in the
            # first 2 MiB) and the data pages (from 16 MiB)
            s += [q(SSPML4, SSPDPT | 3), q(SSPDPT, SSPD | 3),
                  q(SSPD, SSPT0 | 3), q(SSPD + 8 * 8, SSPT8 | 3)]
            s += [q(SSPT0 + 8 * p, (p << 12) | 3) for p in range(0x100, 0x106)]
            s += [q(SSPT8 + 8 * p, (DATA + (p << 12)) | 3) for p in range(512)]
    s += [q(PML4, PDPT | nl), q(PDPT, PD | nl), q(PD, PT | nl),
          "writeq %#x %#x" % (REG + RTADDR, ROOTT | (0x400 if mode != "legacy" else 0)),
          "writel %#x %#x" % (REG + GCMD, 1 << 30),
          "writel %#x %#x" % (REG + GCMD, 1 << 31)]
    if cycle:
        s += ["writeq %#x %#x" % (REG + IQA, IQ),
              "writel %#x %#x" % (REG + GCMD, (1 << 31) | (1 << 26))]
    return s


def script(scn, k):
    mode = mode_of(scn)
    base = scn.split("-")[-1]
    leaf = 7 if first_stage(mode) else 3
    tag = " pasid=1" if mode == "pasid" else ""
    s = setup(mode, base == "cycle")
    if base == "hit":
        s.append(q(PT, DATA | leaf))
        s += ["dma %s 0 4 r%s" % (BDF, tag)] * k
    elif base == "miss":
        s += [q(PT + 8 * p, (DATA + (p << 12)) | leaf) for p in range(k)]
        s += ["dma %s %#x 4 r%s" % (BDF, p << 12, tag) for p in range(k)]
    else:
        tail = 0
        for i in range(k):
            p = i % 512
            s.append(q(PT + 8 * p, (DATA + (p << 12)) | leaf))
            s.append("dma %s %#x 4 r" % (BDF, p << 12))
            s.append(q(PT + 8 * p, 0))
            # IOTLB invalidate: page (granularity 3), DR|DW, DID 1; wait: SW
            s.append(q(IQ + tail * 16, 2 | (3 << 4) | (3 << 6) | (1 << 16)))
            s.append(q(IQ + tail * 16 + 8, p << 12))
            tail = (tail + 1) % 256
            s.append(q(IQ + tail * 16, 5 | (1 << 5) | ((i & 0xffffffff) << 32)))
            s.append(q(IQ + tail * 16 + 8, STATUS))
            tail = (tail + 1) % 256
            s.append("writeq %#x %#x" % (REG + IQT, tail << 4))
    return "\n".join(s) + "\n"


def collected(out):
    with open(out) as f:
        for line in f:
            if line.startswith("totals:") or line.startswith("summary:"):
                return int(line.split()[1])
    raise SystemExit("bench-compare: no totals in " + out)


def callgrind(out, fns):
    return ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
            "--log-file=" + out + ".log"] + ["--toggle-collect=" + f for f in fns]


def command(vtd, qemu, path, mode, wrap=None):
    """The command (and its environment) that runs a script on libvtd (qemu
    None) or on a QEMU; wrap: the callgrind command it runs under, which
    also turns QEMU's trace off (its cost is not the vIOMMU's)."""
    if qemu is None:
        return (wrap or []) + [vtd, "replay", "--config", config_of(mode), path], None
    env = dict(os.environ, QEMU=qemu, VTD_QEMU_DEVICE="intel-iommu",
               VTD_QEMU_PASS="x-flts" if mode == "fs" else "")
    if wrap:
        env.update(VTD_QEMU_TRACE="0", VTD_QEMU_WRAP=" ".join(wrap))
    return [sys.executable, os.path.join(ROOT, "tests/qemu/qemu_replay.py"), path], env


def run_counted(vtd, qemu, path, mode, out, fns):
    cmd, env = command(vtd, qemu, path, mode, callgrind(out, fns))
    r = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if qemu is None and r.returncode not in (0, 1):
        raise SystemExit("bench-compare: vtd replay failed: " + r.stderr)
    if qemu is not None and ("QEMU DIED" in r.stdout or r.returncode):
        raise SystemExit("bench-compare: QEMU %s failed: %s%s" % (qemu, r.stdout[-400:], r.stderr))
    return collected(out)


def faults(target, vtd, qemu, path, mode):
    """The DMA outcomes of a script, once without callgrind (the counted
    runs leave the trace off): a line naming a fault, or None.  A script
    whose DMA faults would count a fault path, not the translation."""
    cmd, env = command(vtd, qemu, path, mode)
    r = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    bad = [l for l in r.stdout.splitlines() if "FAULT" in l or "DIED" in l]
    if bad or r.returncode not in (0, 1):
        return "%s: %s" % (target, (bad or [r.stderr.strip()])[0])
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vtd", default=os.path.join(ROOT, "build/tools/vtd/vtd"))
    ap.add_argument("scenarios", nargs="*", default=SCENARIOS)
    a = ap.parse_args()
    if not shutil.which("valgrind"):
        print("bench-compare: valgrind is not installed: skipped", file=sys.stderr)
        return 77
    for sc in a.scenarios:
        if sc not in SCENARIOS:
            ap.error("no scenario '%s' (%s)" % (sc, ", ".join(SCENARIOS)))
    targets = [("libvtd", None)]
    q100 = os.environ.get("QEMU100", os.path.join(ROOT, "build-qemu/qemu-system-x86_64"))
    if os.access(q100, os.X_OK):
        targets.append(("QEMU 10.0", q100))
    else:
        print("bench-compare: no QEMU 10.0 build at %s (make qemu): its column is left out"
              % q100, file=sys.stderr)
    q72 = os.environ.get("QEMU72")
    if q72:
        targets.append(("QEMU 7.2", q72))
    tmp = tempfile.mkdtemp(prefix="bench-compare.")
    try:
        res = {}
        for sc in a.scenarios:
            for name, qemu in targets:
                if name == "QEMU 7.2" and mode_of(sc) == "fs":
                    continue   # no x-flts in 7.2
                if qemu is not None and mode_of(sc) in LIBVTD_ONLY:
                    continue
                cyc = sc.endswith("cycle")
                lib_fns = ["vtd_iommu_translate"] + (["vtd_iommu_mmio_write"] if cyc else [])
                q_fns = ["vtd_iommu_translate"] + (["vtd_mem_write"] if cyc else [])
                ir = []
                for k in (K1, K2):
                    path = os.path.join(tmp, "%s-%d.vtd" % (sc, k))
                    with open(path, "w") as f:
                        f.write(script(sc, k))
                    if k == K1:
                        bad = faults(name, a.vtd, qemu, path, mode_of(sc))
                        if bad:
                            raise SystemExit("bench-compare: %s: a DMA of the script faults (%s)"
                                             % (sc, bad))
                    out = os.path.join(tmp, "cg-%s-%s-%d" % (re.sub(r"\W", "", name), sc, k))
                    ir.append(run_counted(a.vtd, qemu, path, mode_of(sc), out,
                                          lib_fns if qemu is None else q_fns))
                res[(sc, name)] = (ir[1] - ir[0]) / (K2 - K1)
        names = [n for n, _ in targets]
        print("%-10s" % "per op" + "".join("%14s" % n for n in names) +
              ("%18s" % "best QEMU/libvtd" if len(names) > 1 else ""))
        for sc in a.scenarios:
            row = [res.get((sc, n)) for n in names]
            line = "%-10s" % sc + "".join("%14s" % "-" if v is None else "%14.0f" % v for v in row)
            qemus = [v for v in row[1:] if v is not None]
            if qemus:
                line += "%15.1fx" % (min(qemus) / row[0])
            print(line)
        print("(instructions inside the translate entry point%s, per request; callgrind, "
              "difference of %d and %d requests)" % (
                  " and the MMIO write handler" if any(sc.endswith("cycle") for sc in a.scenarios)
                  else "", K1, K2))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
