#!/usr/bin/env python3
"""Differential test: random legacy-mode VT-d setups run on QEMU 7.2 and on
libvtd (`vtd replay`), responses compared.  Issue 14.

  diffqemu.py [--vtd PATH] [--seed S] [-n N] [-j JOBS] [--keep DIR] [-v]
  diffqemu.py --script FILE          compare one script, print both sides

Script i of a run uses seed S+i, so `--seed S+i -n 1` reproduces it.
Responses are compared line by line after normalising what QEMU cannot show
(the permission of a translation; `SKIP` lines).  Scripts cover legacy-mode
DMA remapping, register and queued invalidation, and interrupt remapping
(IRTEs, remappable and compatibility-format MSIs from the edu devices).  A difference that matches
a documented QEMU 7.2 deviation (qemu72-deviations.txt) ends the comparison
of that script there (the two states have diverged) and is counted as
"deviation"; any other difference fails the run.
"""
import argparse, os, random, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import qemu_replay as qr  # noqa: E402

REG = 0xFED90000
DEVS = ["00:03.0", "00:04.0", "00:05.0"]
ROOT = 0x100000
CTX = 0x101000
PT_BASE = 0x200000        # page-table pages, 4 KiB each
OUT4K = 0x1000000         # targets of 4 KiB mappings (16 MiB..)
OUT2M = 0x2000000         # targets of 2 MiB mappings (32 MiB..62 MiB)
IQ = 0x400000             # invalidation queue (256 x 128-bit)
IQS = 0x401000            # wait-descriptor status word
IRT = 0x500000            # interrupt remapping table (16 entries)


class Gen:
    """One random but valid legacy-mode guest: root/context tables, 3- or
    4-level second-stage tables with 4K/2M/1G leaves, R/W permissions,
    not-present and reserved-bit entries, then actions.  Table edits are
    always followed by the invalidation the spec requires (6.5), so every
    expected result is defined by the spec, not by cache behaviour."""

    def __init__(self, seed):
        self.r = random.Random(seed)
        self.seed = seed
        self.lines = ["# diffqemu seed %d" % seed]
        self.next_pt = PT_BASE
        self.maps = {}          # dev -> list of (iova, size)
        self.leaves = {}        # dev -> list of (entry address, iova, size)
        self.ctx = {}           # dev -> (slpt root, levels, did)

    def emit(self, s):
        self.lines.append(s)

    def alloc(self):
        a = self.next_pt
        self.next_pt += 0x1000
        return a

    def wq(self, addr, val, note=""):
        self.emit("writeq %#x %#x%s" % (addr, val, ("  # " + note) if note else ""))

    def build_dev(self, dev):
        r = self.r
        bdf_dev = int(dev[3:5], 16)
        ctx_addr = CTX + (bdf_dev << 3) * 16
        levels = r.choice([4, 4, 3])
        did = r.randint(1, 4)
        root = self.alloc()
        self.maps[dev] = []
        self.leaves[dev] = []
        # tables: dict (level, index path) -> page
        tables = {(): root}

        def table_for(path, level):
            # path: indices at the levels above `level`
            if path in tables:
                return tables[path]
            parent = table_for(path[:-1], level + 1)
            t = self.alloc()
            tables[path] = t
            perm = 3 if r.random() < 0.9 else r.choice([1, 2])
            self.wq(parent + path[-1] * 8, t | perm)
            return t

        nmaps = r.randint(1, 6)
        used = set()
        for _ in range(nmaps):
            kind = r.choice(["4k", "4k", "4k", "2m", "2m", "1g"])
            if kind == "1g" and levels < 3:
                kind = "2m"
            if kind == "4k":
                iova = r.randrange(0, 1 << 30, 0x1000) if r.random() < 0.7 else r.randrange(0, 1 << (9 * levels + 12), 0x1000)
                size, leaf_level = 0x1000, 1
                out = OUT4K + r.randrange(0, 0x800000, 0x1000)
            elif kind == "2m":
                iova = r.randrange(0, 1 << 31, 0x200000)
                size, leaf_level = 0x200000, 2
                out = OUT2M + r.randrange(0, 15) * 0x200000
            else:
                iova = r.randrange(0, 1 << (9 * levels + 12), 0x40000000)
                size, leaf_level = 0x40000000, 3
                out = r.choice([0x40000000, 0x80000000])
            idx = [(iova >> (12 + 9 * (l - 1))) & 511 for l in range(levels, 0, -1)]
            path = tuple(idx[:levels - leaf_level])
            key = path
            # no overlap with another mapping's table path
            if any(k[:len(key)] == key or key[:len(k)] == k for k in used):
                continue
            used.add(key)
            tbl = table_for(path[:-1], leaf_level + 1) if path else root
            ent_addr = tbl + path[-1] * 8 if path else None
            if ent_addr is None:
                continue
            perm = r.choice([1, 2, 3, 3, 3, 0])
            val = out | perm | (0x80 if leaf_level > 1 else 0)
            roll = r.random()
            if roll < 0.06:
                val |= 1 << r.choice([50, 51, 52, 62])     # reserved / TM bits
            elif roll < 0.10 and leaf_level == 1:
                val |= 1 << 7                               # PS at level 1: ignored
            elif roll < 0.13:
                val |= 1 << 11                              # SNP without SC
            self.wq(ent_addr, val)
            self.maps[dev].append((iova, size))
            self.leaves[dev].append((ent_addr, iova, size, val))
        if r.random() < 0.05 and levels == 4:
            self.wq(root + 511 * 8, self.alloc() | 0x83)  # PS in a level-4 entry
            self.maps[dev].append((511 << 39, 0x1000))
        # context entry
        aw = {3: 1, 4: 2}[levels]
        tt = 0
        roll = r.random()
        lo = root | 1
        hi = (did << 8) | aw
        if roll < 0.05:
            lo &= ~1                                        # not present
        elif roll < 0.09:
            hi |= 1 << r.choice([7, 24, 40])                # reserved bits
        elif roll < 0.13:
            tt = 2                                          # pass-through
        elif roll < 0.16:
            tt = 1                                          # device-TLB, not supported
        elif roll < 0.19:
            hi = (hi & ~7) | r.choice([0, 3, 4])            # bad AW
        elif roll < 0.22:
            lo |= 2                                         # FPD
        lo |= tt << 2
        self.wq(ctx_addr, lo, "context " + dev)
        self.wq(ctx_addr + 8, hi)
        self.ctx[dev] = (root, levels, did, ctx_addr)
        self.pt = getattr(self, "pt", set())
        if tt == 2:
            self.pt.add(dev)

    def setup(self):
        r = self.r
        self.emit("# config: " + qr.DEFAULT_CONFIG)
        self.wq(ROOT, CTX | (0 if r.random() < 0.03 else 1), "root bus 0")
        if r.random() < 0.03:
            self.wq(ROOT + 8, 1 << r.choice([1, 40]))       # reserved in the root entry
        for d in DEVS:
            if r.random() < 0.85:
                self.build_dev(d)
        self.emit("writeq %#x %#x" % (REG + 0x20, ROOT))
        self.emit("writel %#x 0x40000000" % (REG + 0x18))
        self.emit("readl %#x" % (REG + 0x1c))
        self.emit("writel %#x 0xfee00000" % (REG + 0x40))
        self.emit("writel %#x %#x" % (REG + 0x3c, r.randint(0x30, 0xef)))
        if r.random() < 0.5:
            self.emit("writel %#x 0" % (REG + 0x38))        # unmask fault events
        self.emit("writel %#x 0x80000000" % (REG + 0x18))
        self.emit("readl %#x" % (REG + 0x1c))
        self.qi = r.random() < 0.4
        if self.qi:
            # queued invalidation: 256 descriptors at IQ, status words at IQS
            self.iqt = 0
            self.emit("writeq %#x %#x" % (REG + 0x90, IQ))
            self.emit("writel %#x 0x84000000" % (REG + 0x18))  # TE | QIE
            self.emit("readl %#x" % (REG + 0x1c))
            self.emit("write %#x 4 0x00000000" % IQS)          # status page
        self.ir = r.random() < 0.35
        if self.ir:
            gcmd = 0x84000000 if self.qi else 0x80000000
            self.irtes = {}
            for i in range(r.randint(1, 8)):
                self.irte(r.randrange(16))
            self.emit("writeq %#x %#x" % (REG + 0xb8, IRT | 3))       # 16 entries, xAPIC
            self.emit("writel %#x %#x" % (REG + 0x18, gcmd | 0x01000000))   # SIRTP
            gcmd |= 0x02000000 | (0x00800000 if r.random() < 0.7 else 0)  # IRE, CFI
            self.emit("writel %#x %#x" % (REG + 0x18, gcmd))
            self.emit("readl %#x" % (REG + 0x1c))

    def irte(self, i):
        """A random IRTE at index i: present or not, vector, xAPIC
        destination, trigger mode, source-id check, now and then a
        reserved bit."""
        r = self.r
        lo = (1 if r.random() < 0.85 else 0) | (r.randint(0x20, 0xfe) << 16) | (r.randrange(256) << 40)
        lo |= (1 << 4) if r.random() < 0.2 else 0
        hi = 0
        if r.random() < 0.5:
            d = r.choice(DEVS)
            hi = (1 << 18) | (int(d[3:5], 16) << 3)                   # SVT=1, SQ=0
        if r.random() < 0.05:
            lo |= 1 << r.choice([12, 24])
        self.irtes[i] = (lo, hi)
        self.wq(IRT + 16 * i, lo)
        self.wq(IRT + 16 * i + 8, hi)

    def msi(self, dev):
        r = self.r
        if r.random() < 0.15:               # compatibility format
            self.emit("msi %s %#x %#x" % (dev, 0xfee00000 | (r.randrange(256) << 12), r.randint(0x20, 0xfe)))
            return
        h = r.choice(list(self.irtes)) if r.random() < 0.8 else r.randrange(20)
        shv = r.random() < 0.2
        addr = 0xfee00010 | ((h & 0x7fff) << 5) | ((h >> 15) << 2) | (8 if shv else 0)
        self.emit("msi %s %#x %#x" % (dev, addr, r.randrange(4) if shv else r.randrange(0x100)))

    def submit(self, descs, status=None):
        """Queue 128-bit descriptors, then a wait descriptor with a status
        write (SW only: SW|IF together aborts QEMU 7.2, D5), ring IQT, read
        IQH and the status word."""
        if status is not None:
            descs = descs + [((status << 32) | 0x25, IQS)]   # wait, SW, FN
        for lo, hi in descs:
            slot = IQ + (self.iqt % 256) * 16
            self.wq(slot, lo)
            self.wq(slot + 8, hi)
            self.iqt += 1
        self.emit("writeq %#x %#x" % (REG + 0x88, (self.iqt % 256) << 4))
        self.emit("readq %#x" % (REG + 0x80))
        self.emit("readl %#x" % (REG + 0x34))
        if status is not None:
            self.emit("read %#x 4" % IQS)

    def addr_for(self, dev):
        r = self.r
        if dev in getattr(self, "pt", ()) and r.random() < 0.9:
            return r.randrange(0x100000, 0x4000000)   # pass-through: inside both RAMs
        m = self.maps.get(dev) or []
        if m and r.random() < 0.8:
            iova, size = r.choice(m)
            return iova + r.randrange(0, size) if size <= 0x200000 else iova + r.randrange(0, size, 0x1000) + r.randrange(0, 0x1000)
        return r.randrange(0, 1 << 40) if r.random() < 0.3 else r.randrange(0, 1 << 31)

    def action(self):
        r = self.r
        dev = r.choice(DEVS)
        k = r.random()
        if k < 0.35:
            self.emit("translate %s %#x r" % (dev, self.addr_for(dev)))
        elif k < 0.50:
            a = self.addr_for(dev)
            n = r.randint(1, min(64, 0x1000 - (a & 0xfff)))
            if self.big(dev, a):
                self.emit("translate %s %#x r" % (dev, a))
            else:
                self.emit("dma %s %#x %d r" % (dev, a, n))
        elif k < 0.62:
            a = self.addr_for(dev)
            n = r.randint(1, min(16, 0x1000 - (a & 0xfff)))
            if self.big(dev, a):
                self.emit("translate %s %#x r" % (dev, a))
            else:
                self.emit("dma %s %#x %d w data=0x%s" % (dev, a, n, bytes(r.randrange(256) for _ in range(n)).hex()))
        elif k < 0.66:
            a = self.addr_for(dev)
            if not self.big(dev, a):
                self.emit("dma %s %#x 1 r" % (dev, a))
                self.emit("dma %s %#x 1 w data=0x5a" % (dev, a))
        elif k < 0.77:
            off = r.choice([0x08, 0x10, 0x1c, 0x34, 0x38, 0x3c, 0x40, 0x20, 0x28, 0xf8, 0x220, 0x228])
            self.emit("%s %#x" % ("readq" if off in (0x08, 0x10, 0x20, 0x28, 0xf8, 0x220, 0x228) else "readl", REG + off))
        elif k < 0.85:
            # acknowledge: clear the fault record and the status bits
            self.emit("writel %#x 0x80000000" % (REG + 0x22c))
            self.emit("writel %#x 0x7f" % (REG + 0x34))
        elif k < 0.97 and self.ir and r.random() < 0.5:
            if self.qi and r.random() < 0.3:
                self.irte(r.randrange(16))      # edit, then IEC invalidation
                self.submit([(0x4, 0)], r.randint(1, 0xffff))
            else:
                self.msi(dev)
        elif k < 0.97 and self.leaves.get(dev):
            self.edit(dev)
        else:
            self.inval(r.choice(["global", "global", "dom"]), dev)

    def big(self, dev, a):
        # a 1 GiB mapping points outside both guests' RAM: translate only
        return any(s == 0x40000000 and i <= a < i + s for i, s in self.maps.get(dev, []))

    def edit(self, dev):
        r = self.r
        i = r.randrange(len(self.leaves[dev]))
        ent, iova, size, val = self.leaves[dev][i]
        how = r.choice(["perm", "np", "move"])
        if how == "perm":
            val = (val & ~3) | r.choice([1, 2, 3])
        elif how == "np":
            val &= ~3
        elif size == 0x1000:
            val = (val & 0xFFF) | (OUT4K + r.randrange(0, 0x800000, 0x1000))
        elif size == 0x200000:
            val = (val & 0xFFF) | (OUT2M + r.randrange(0, 15) * 0x200000)
        self.leaves[dev][i] = (ent, iova, size, val)
        self.wq(ent, val, "edit")
        self.inval(r.choice(["page", "dom", "global"]), dev, iova, size)

    def inval(self, kind, dev, iova=0, size=0x1000):
        did = self.ctx.get(dev, (0, 0, 1))[2]
        if self.qi:
            g = {"global": 1, "dom": 2, "page": 3}[kind]
            am = {0x1000: 0, 0x200000: 9, 0x40000000: 18}[size]
            d = [(0x2 | (g << 4) | (did << 16), (iova | am) if kind == "page" else 0)]
            if self.r.random() < 0.2:
                d.insert(0, (0x1 | (1 << 4), 0))        # context cache, global
            self.submit(d, self.r.randint(1, 0xffff))
            return
        if kind == "page":
            am = {0x1000: 0, 0x200000: 9, 0x40000000: 18}[size]
            self.emit("writeq %#x %#x" % (REG + 0xf0, iova | am))        # IVA (ECAP.IRO=0xf -> 0xf0)
            self.emit("writeq %#x %#x" % (REG + 0xf8, (1 << 63) | (3 << 60) | (did << 32)))
        elif kind == "dom":
            self.emit("writeq %#x %#x" % (REG + 0xf8, (1 << 63) | (2 << 60) | (did << 32)))
        else:
            self.emit("writeq %#x %#x" % (REG + 0xf8, (1 << 63) | (1 << 60)))
        self.emit("readq %#x" % (REG + 0xf8))

    def script(self, nactions=None):
        self.setup()
        for _ in range(nactions or self.r.randint(5, 30)):
            self.action()
        return self.lines


# --- comparison --------------------------------------------------------------

def commands(lines):
    """The script lines that produce a response, in order."""
    return [l for l in (qr.strip_comment(x) for x in lines) if l]


def group(outputs):
    """Responses grouped per command: IRQ lines belong to the next response."""
    groups, pre = [], []
    for o in outputs:
        if o.startswith("IRQ "):
            pre.append(o)
        else:
            groups.append((pre, o))
            pre = []
    return groups


def norm(resp):
    w = resp.split()
    if len(w) == 4 and w[0] == "OK" and w[1].startswith("0x"):
        return "OK %s %s" % (w[1], w[3])                 # translate: drop the permission
    return resp


FRCD_PV = 0x0FFFFF0000000000    # FRCD bits 123:104 seen from the high quadword


def deviation(cmd, lib, qem, lpre, qpre):
    """(name, stop) of the documented QEMU 7.2 deviation this difference is,
    or None.  stop: the two states have diverged, compare no further; else
    the difference is only in what is read and comparison goes on."""
    w = cmd.split()
    # D1: write to a read-only page that is in QEMU's IOTLB: no fault.
    if lib == "FAULT 0x05 LGN.2" and qem.startswith("OK") and (
            (w[0] == "dma" and w[4] == "w") or (w[0] == "translate" and w[3] == "w")):
        return "D1-ro-write-cached", True
    # D2: FRCD.PV filled although PP=0.
    if w[0] == "readq" and int(w[1], 0) & 0xFFF in (0x228,) and lib.startswith("OK 0x") and qem.startswith("OK 0x"):
        if int(lib[3:], 16) & ~FRCD_PV == int(qem[3:], 16) & ~FRCD_PV:
            return "D2-frcd-pv", False
    # D8: compatibility-format MSI with IRE=1, CFI=0, EIME=0 passed through
    if w[0] == "msi" and lib == "FAULT 0x25 IR.5" and qem.startswith("OK"):
        return "D8-compat-msi-cfi0", True
    # D10: GCMD.CFI is ignored, GSTS.CFIS (bit 23) stays 0
    if w[0] == "readl" and int(w[1], 0) == REG + 0x1c and lib.startswith("OK 0x") and qem.startswith("OK 0x"):
        if int(lib[3:], 16) & ~(1 << 23) == int(qem[3:], 16) and int(lib[3:], 16) & (1 << 23):
            return "D10-gsts-cfis", False
    # D6: CAP.ESRTPS (bit 63) and CAP.ESIRTPS (62) are QEMU >= 8 features.
    if w[0] in ("readq", "readl") and int(w[1], 0) == REG + 0x08 and lib.startswith("OK 0x") and qem.startswith("OK 0x"):
        if int(lib[3:], 16) & ~(3 << 62) == int(qem[3:], 16) & ~(3 << 62):
            return "D6-cap-esrtps", False
    return None


def compare(lines, lib_out, qemu_out):
    """-> (status, detail): status 'same', 'deviation', 'diff'."""
    cmds = commands(lines)
    lg, qg = group(lib_out), group(qemu_out)
    seen = []
    for i, cmd in enumerate(cmds):
        if i >= len(lg) or i >= len(qg):
            if i < len(qg) and qg[i][1].startswith("QEMU DIED") or (qg and qg[-1][1].startswith("QEMU DIED")):
                return "diff", "line %d %r: QEMU died: %s" % (i + 1, cmd, qg[-1][1])
            return "diff", "output ends early at %r" % cmd
        (lp, l), (qp, q) = lg[i], qg[i]
        if q.startswith("SKIP"):
            continue
        if q.startswith("QEMU DIED"):
            # D4: 8-byte write to FECTL; D5: wait descriptor with SW and IF
            if "vtd_mem_write: Assertion `size == 4'" in q and cmd.startswith("writeq") and int(cmd.split()[1], 0) == REG + 0x38:
                return "deviation", ",".join(seen + ["D4-fectl-writeq"])
            if "vtd_process_wait_desc: Assertion" in q:
                return "deviation", ",".join(seen + ["D5-wait-sw-if"])
            return "diff", "%r: %s" % (cmd, q)
        if q == "FAULT ?? fpd" and l.startswith("FAULT 0x"):
            continue            # same outcome; QEMU's trace does not name the reason
        if q == "FAULT ?? ir" and l.startswith("FAULT 0x2"):
            # D3: QEMU 7.2 blocks the MSI but records no fault; libvtd does
            return "deviation", ",".join(seen + ["D3-no-ir-faults"])
        if l.startswith("FAULT memory"):
            return "incomparable", "libvtd guest RAM is smaller: " + l
        if norm(l) != norm(q):
            d = deviation(cmd, l, q, lp, qp)
            if d and d[1]:
                return "deviation", ",".join(seen + [d[0]])
            if d:
                if d[0] not in seen:
                    seen.append(d[0])
                continue
            return "diff", "command %d %r: libvtd %r, QEMU %r" % (i + 1, cmd, l, q)
        if lp != qp:
            return "diff", "command %d %r: IRQs libvtd %r, QEMU %r" % (i + 1, cmd, lp, qp)
    return ("deviation", ",".join(seen)) if seen else ("same", "")


def run_lib(vtd, lines, config):
    with tempfile.NamedTemporaryFile("w", suffix=".vtd", delete=False) as f:
        f.write("\n".join(lines) + "\n")
        path = f.name
    try:
        p = subprocess.run([vtd, "replay", "--config", config, path],
                           capture_output=True, text=True)
    finally:
        os.unlink(path)
    out = p.stdout.splitlines()
    if p.returncode != 0:
        out.append("EXIT %d %s" % (p.returncode, p.stderr.strip()))
    return out


_qemu = {}    # one QEMU per worker process and configuration, reset between scripts


def run_qemu(lines, config, reuse=True):
    q = _qemu.pop(config, None) if reuse else None
    out = []
    try:
        if q is None:
            q = qr.Qemu(config)
        else:
            q.reset()
        for o in qr.run_script(q, lines):
            out.append(o)
        if reuse:
            _qemu[config], q = q, None
    except qr.QemuDied as e:
        out.append("QEMU DIED: %s" % (str(e).splitlines() or ["?"])[-1])
    finally:
        if q is not None:
            q.close()
    return out


def one(args):
    vtd, seed, config, keep, reuse = args
    lines = Gen(seed).script()
    lib = run_lib(vtd, lines, config)
    qem = run_qemu(lines, config, reuse)
    st, detail = compare(lines, lib, qem)
    if keep and st != "same":
        with open(os.path.join(keep, "seed-%d.vtd" % seed), "w") as f:
            f.write("\n".join(lines) + "\n")
    return seed, st, detail


def check_deviations(a):
    """Each deviations/NAME.vtd holds '# expect: COMMAND | LIBVTD | QEMU'
    (QEMU a prefix of QEMU's response).  Fails when a deviation no longer
    shows (fixed in QEMU, or in libvtd) or shows differently."""
    d = os.path.join(HERE, "deviations")
    bad = 0
    for name in sorted(os.listdir(d)):
        if not name.endswith(".vtd"):
            continue
        lines = open(os.path.join(d, name)).read().splitlines()
        exp = [l[len("# expect:"):].split("|") for l in lines if l.startswith("# expect:")][0]
        ecmd, elib, eq = (x.strip() for x in exp)
        lib, qem = run_lib(a.vtd, lines, a.config), run_qemu(lines, a.config, reuse=False)
        got = None
        for c, l, q in zip(commands(lines), group(lib), group(qem)):
            if c == ecmd:
                got = (l[1], q[1])      # the last such command
        ok = got is not None and got[0] == elib and got[1].startswith(eq)
        st, det = compare(lines, lib, qem)
        print("%s %s: libvtd %r, QEMU %r; comparison: %s %s" % ("ok" if ok else "FAIL", name, got and got[0], got and got[1], st, det))
        bad += not ok
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vtd", default=os.path.join(HERE, "..", "..", "build", "tools", "vtd", "vtd"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("-n", type=int, default=100)
    ap.add_argument("-j", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--keep", help="write every differing script to this directory")
    ap.add_argument("--script", help="compare one script file and print both sides")
    ap.add_argument("--print", type=int, metavar="SEED", help="print the script of SEED")
    ap.add_argument("--config", default=qr.DEFAULT_CONFIG)
    ap.add_argument("-v", action="store_true")
    ap.add_argument("--check-deviations", action="store_true",
                    help="run deviations/*.vtd: each must still show exactly its '# expect:' line")
    ap.add_argument("--fresh", action="store_true", help="a new QEMU for every script instead of a reset")
    a = ap.parse_args()
    if a.check_deviations:
        return check_deviations(a)
    if a.print is not None:
        print("\n".join(Gen(a.print).script()))
        return 0
    if a.script:
        lines = open(a.script).read().splitlines()
        lib, qem = run_lib(a.vtd, lines, a.config), run_qemu(lines, a.config)
        for c, (l, q) in zip(commands(lines), zip(group(lib), group(qem))):
            mark = "  " if norm(l[1]) == norm(q[1]) and l[0] == q[0] else "!="
            print("%s %-50s | %-40s | %s" % (mark, c[:50], " ".join(l[0] + [l[1]]), " ".join(q[0] + [q[1]])))
        st, d = compare(lines, lib, qem)
        print(st, d)
        return 0 if st != "diff" else 1
    if a.keep:
        os.makedirs(a.keep, exist_ok=True)
    t0 = time.time()
    jobs = [(a.vtd, a.seed + i, a.config, a.keep, not a.fresh) for i in range(a.n)]
    counts = {"same": 0, "deviation": 0, "diff": 0, "incomparable": 0}
    devs = {}
    fails = []
    if a.j > 1:
        import multiprocessing
        with multiprocessing.Pool(a.j) as pool:
            results = pool.imap_unordered(one, jobs, chunksize=4)
            results = list(results)
    else:
        results = [one(j) for j in jobs]
    for seed, st, detail in sorted(results):
        counts[st] += 1
        if st == "deviation":
            devs[detail] = devs.get(detail, 0) + 1
        if st == "diff":
            fails.append((seed, detail))
        if a.v or st == "diff":
            print("%s seed %d %s" % (st, seed, detail))
    dt = time.time() - t0
    print("diff-qemu: %d scripts (seeds %d..%d) in %.1f s, %.1f scripts/s: %d same, %d met a documented QEMU 7.2 deviation %s, %d differ, %d cut short (libvtd's 64 MiB RAM)"
          % (a.n, a.seed, a.seed + a.n - 1, dt, a.n / dt, counts["same"], counts["deviation"],
             dict(sorted(devs.items())), counts["diff"], counts["incomparable"]))
    return 1 if counts["diff"] else 0


if __name__ == "__main__":
    sys.exit(main())
