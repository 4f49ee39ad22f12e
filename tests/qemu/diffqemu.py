#!/usr/bin/env python3
"""Differential test: random VT-d setups, legacy and scalable mode, run on
QEMU 7.2 and on libvtd (`vtd replay`), responses compared.  Issue 14.

  diffqemu.py [--vtd PATH] [--seed S] [-n N] [-j JOBS] [--keep DIR] [-v]
  diffqemu.py --script FILE          compare one script, print both sides

Script i of a run uses seed S+i, so `--seed S+i -n 1` reproduces it.
Responses are compared line by line after normalising what QEMU cannot show
(the permission of a translation; `SKIP` lines).  Scripts cover legacy- and
scalable-mode DMA remapping (root/context, PASID directory and table,
second stage and pass-through), register and queued invalidation, and
interrupt remapping (IRTEs, remappable and compatibility-format MSIs from
the edu devices).  A difference that matches a documented QEMU 7.2
deviation (qemu72-deviations.txt) either ends the comparison of that script
there (the two states have diverged) or is masked, and the script counts as
"deviation"; any other difference fails the run.
"""
import argparse, os, random, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import qemu_replay as qr  # noqa: E402

REG = 0xFED90000
DEVS = ["00:03.0", "00:04.0", "00:05.0", "00:10.0", "00:1e.0"]
ROOT = 0x100000
CTX = 0x101000            # legacy context table; scalable: lower half (devfn < 0x80)
CTXU = 0x102000           # scalable mode: upper context table (devfn >= 0x80)
PT_BASE = 0x200000        # table pages (paging, PASID directory/table), 4 KiB each
OUT4K = 0x1000000         # targets of 4 KiB mappings (16 MiB..)
OUT2M = 0x2000000         # targets of 2 MiB mappings (32 MiB..62 MiB)
IQ = 0x400000             # invalidation queue (256 x 128-bit or 128 x 256-bit)
IQS = 0x401000            # wait-descriptor status word
IRT = 0x500000            # interrupt remapping table (16 entries)
SM_SHARE = 0.4            # fraction of scripts in scalable mode
SM_CONFIG = qr.DEFAULT_CONFIG + ",x-scalable-mode=on"
FS_CONFIG = SM_CONFIG + ",x-flts=on"
FS_US = 0x4               # first stage: U/S, set at every level (requests without PASID are user)


def devfn(dev):
    return (int(dev[3:5], 16) << 3) | int(dev[6])


class Domain:
    """A second-stage page table and the DID that tags it: every context or
    PASID entry with this DID points at this table (software must not give
    one DID two tables; the IOTLB is tagged by DID)."""

    def __init__(self, did, root, levels):
        self.did, self.root, self.levels = did, root, levels
        self.maps = []          # (iova, size)
        self.leaves = []        # [entry address, iova, size, value, R/W of the tables above]

    def leaf(self, a):
        for i, lf in enumerate(self.leaves):
            if lf[1] <= a < lf[1] + lf[2]:
                return i, lf
        return None, None


class Gen:
    """One random guest, legacy mode or (SM_SHARE of the seeds) scalable
    mode.  Legacy: root/context tables.  Scalable: root entries with lower
    and upper context tables, 256-bit context entries, PASID directory and
    PASID table, RID_PASID, PGTT second-stage or pass-through, DID from the
    PASID entry.  Both: 3- or 4-level second-stage tables with 4K/2M/1G
    leaves, R/W permissions, not-present and reserved-bit entries, then
    actions.  Table edits are always followed by the invalidation the spec
    requires (6.5), so every expected result is defined by the spec, not by
    cache behaviour."""

    def __init__(self, seed, fs=False):
        self.r = random.Random(seed)
        self.seed = seed
        # fs: first-stage scripts (x-flts=on, for QEMU >= 10): every
        # PASID entry PGTT=001b over first-stage (x86 format) tables
        self.fs = fs
        self.sm = fs or self.r.random() < SM_SHARE
        self.config = FS_CONFIG if fs else SM_CONFIG if self.sm else qr.DEFAULT_CONFIG
        self.lines = ["# diffqemu seed %d (%s mode)" % (seed, "first-stage" if fs else "scalable" if self.sm else "legacy")]
        self.next_pt = PT_BASE
        self.domains = {}       # did -> Domain
        self.dev = {}           # dev -> state dict (did, pt, ...)
        self.pt = set()         # devices in pass-through (any address is RAM)
        self.qi = False
        self.dw = False         # 256-bit descriptors
        self.ir = False
        self.priv = False
        # (device, DID, leaf) QEMU may hold in its IOTLB: it answers an
        # access the entry does not permit without a fault (D1, D11), so
        # the generator makes no such access (D1 on purpose: d1_probe)
        self.cached = set()

    def emit(self, s):
        self.lines.append(s)

    def alloc(self):
        a = self.next_pt
        self.next_pt += 0x1000
        assert self.next_pt <= IQ, "table pages overflow into the queue"
        return a

    def wq(self, addr, val, note=""):
        self.emit("writeq %#x %#x%s" % (addr, val, ("  # " + note) if note else ""))

    # --- second-stage tables, one per domain ----------------------------------

    def domain(self, did):
        """The domain with this DID, its table built on first use."""
        if did in self.domains:
            return self.domains[did]
        r = self.r
        levels = 4 if self.fs else r.choice([4, 4, 3])
        # first stage: P (bit 0) where the second stage has R, R/W (bit 1)
        # where it has W, so a leaf's "perm" reads the same; U/S everywhere
        us = FS_US if self.fs else 0
        root = self.alloc()
        d = Domain(did, root, levels)
        self.domains[did] = d
        tables = {(): root}
        perms = {(): 3}         # R/W granted by the entries down to a table

        def table_for(path):
            # path: indices at the levels above the table
            if path in tables:
                return tables[path]
            parent = table_for(path[:-1])
            t = self.alloc()
            tables[path] = t
            perm = 3 if r.random() < 0.9 else r.choice([1, 2])
            perms[path] = perms[path[:-1]] & perm
            self.wq(parent + path[-1] * 8, t | perm | us)
            return t

        used = set()
        for _ in range(r.randint(1, 6)):
            kind = r.choice(["4k", "4k", "4k", "2m", "2m", "1g"])
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
            # the indices down to the leaf entry, at level leaf_level
            path = tuple(idx[:levels - leaf_level + 1])
            # no overlap with another mapping's table path
            if not path or any(k[:len(path)] == path or path[:len(k)] == k for k in used):
                continue
            used.add(path)
            ent_addr = table_for(path[:-1]) + path[-1] * 8
            perm = r.choice([1, 2, 3, 3, 3, 0])
            val = out | perm | us | (0x80 if leaf_level > 1 else 0)
            roll = r.random()
            if roll < 0.06:
                # reserved (second stage: TM too; first stage: above the
                # 48-bit address width)
                val |= 1 << r.choice([49, 51] if self.fs else [50, 51, 52, 62])
            elif roll < 0.10 and leaf_level == 1:
                val |= 1 << 7                               # PS at level 1: ignored
            elif roll < 0.13:
                val |= 1 << 11                              # SNP: reserved without SC in legacy mode
            self.wq(ent_addr, val)
            d.maps.append((iova, size))
            d.leaves.append([ent_addr, iova, size, val, perms[path[:-1]]])
        if r.random() < 0.05 and levels == 4:
            self.wq(root + 511 * 8, self.alloc() | 0x83)  # PS in a level-4 entry
            d.maps.append((511 << 39, 0x1000))
        return d

    # --- legacy mode -----------------------------------------------------------

    def build_dev(self, dev):
        r = self.r
        ctx_addr = CTX + devfn(dev) * 16
        did = r.randint(1, 4)
        dom = self.domain(did)
        aw = {3: 1, 4: 2}[dom.levels]
        tt = 0
        roll = r.random()
        lo = dom.root | 1
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
        self.dev[dev] = {"did": did, "ok": roll >= 0.19 and not hi & ~0xffff07}
        if tt == 2:
            self.pt.add(dev)

    def setup_legacy(self):
        r = self.r
        root_ok = r.random() >= 0.03
        self.wq(ROOT, CTX | root_ok, "root bus 0")
        if r.random() < 0.03:
            self.wq(ROOT + 8, 1 << r.choice([1, 40]))       # reserved in the root entry
            root_ok = False
        for d in DEVS:
            if r.random() < 0.85:
                self.build_dev(d)
                self.dev[d]["ok"] &= root_ok
        self.emit("writeq %#x %#x" % (REG + 0x20, ROOT))
        return r.random() < 0.4

    # --- scalable mode ------------------------------------------------------------

    def build_dev_sm(self, dev):
        """Scalable-mode context entry, PASID directory and PASID table
        entry for RID_PASID, and at most one thing wrong with them."""
        r = self.r
        fn = devfn(dev)
        ctx_addr = (CTXU if fn >= 0x80 else CTX) + (fn & 0x7f) * 32
        did = r.randint(1, 4)
        dom = self.domain(did)
        pdts = r.choice([0, 0, 0, 1, 2])            # 2^(7+PDTS) directory entries
        ndir = 1 << (pdts + 7)
        rid_pasid = 0 if r.random() < 0.65 else r.randrange(1, 64 * ndir)
        pdir, ptab = self.alloc(), self.alloc()
        ce = [pdir | (pdts << 9) | 1, 0, 0, 0]
        pde = ptab | 1
        pe = [0] * 8
        pgtt = 1 if self.fs else 2
        aw = {3: 1, 4: 2}[dom.levels]
        broken = False          # the PASID path faults (D13: no FPD here)
        beyond = False
        roll = r.random()
        if roll < 0.04:
            ce[0] &= ~1                                     # context not present
        elif roll < 0.07:
            k = r.randrange(4)                              # context reserved bits
            ce[k] |= 1 << {0: r.choice([5, 6, 7, 8]), 1: r.choice([21, 40, 63]), 2: r.randrange(64), 3: r.randrange(64)}[k]
        elif roll < 0.085:
            ce[0] |= 1 << r.choice([2, 3, 4])               # DTE/PASIDE/PRE, unsupported (D17)
        elif roll < 0.10:
            pde &= ~1                                       # directory entry not present
            broken = True
        elif roll < 0.11:
            pde |= 1 << r.randrange(2, 12)                  # directory-entry reserved bits (D26)
        elif roll < 0.15:
            pe[0] &= ~1                                     # PASID entry not present (below)
            broken = "pe"
        elif roll < 0.18:
            pgtt = r.choice([0, 5, 6, 7])                   # reserved PGTT
            broken = True
        elif roll < 0.195 and not self.fs:
            pgtt = r.choice([1, 3])                         # first stage / nested: no FSTS (D14)
        elif roll < 0.195:
            pgtt = r.choice([2, 3])                         # second stage / nested: no SSTS
            broken = True
        elif roll < 0.22 and not self.fs:
            aw = r.choice([0, 3, 4])                        # unsupported second-stage AW
            broken = True
        elif roll < 0.235:
            k = r.choice([2, 3, 7])                         # PASID-entry reserved bits (D15)
            pe[k] |= 1 << (r.choice([8, 9, 10, 11]) if k == 2 else r.randrange(64))
        elif roll < 0.255 and pdts < 2:
            # RID_PASID beyond the directory size, inside the (zeroed) page
            rid_pasid = r.randrange(64 * ndir, 64 * 512)
            broken = beyond = True
        elif roll < 0.27:
            pgtt = 4                                        # pass-through with an
            aw = r.choice([0, 3, 4])                        # unsupported AW (D25)
        elif roll < 0.37:
            pgtt = 4                                        # pass-through
        if self.fs and pgtt != 4:
            # first stage: the table in FSPTPTR (FSPM 0: 4 levels), the AW
            # field left at 48 bits (QEMU 10.0 takes the first stage's
            # width from it: Q10-2)
            pe[0] |= (aw << 2) | (pgtt << 6) | (0 if broken == "pe" else 1)
            pe[2] |= dom.root
        else:
            pe[0] |= dom.root | (aw << 2) | (pgtt << 6) | (0 if broken == "pe" else 1)
        pe[1] |= did
        fpd = not broken and r.random() < 0.12
        if fpd:
            where = r.choice(["ce", "pde", "pe"])
            if where == "ce":
                ce[0] |= 2
            elif where == "pde":
                pde |= 2
            else:
                pe[0] |= 2
        ce[1] |= rid_pasid
        pde_addr = pdir + (rid_pasid >> 6) * 8
        pe_addr = ptab + (rid_pasid & 63) * 64
        if not beyond:
            self.wq(pde_addr, pde, "PASID dir %s pasid %d" % (dev, rid_pasid))
        for i, v in enumerate(pe):
            if v:
                self.wq(pe_addr + 8 * i, v, "PASID entry %s" % dev if i == 0 else "")
        for i, v in enumerate(ce):
            if v or i < 2:
                self.wq(ctx_addr + 8 * i, v, "sm context " + dev if i == 0 else "")
        self.dev[dev] = {"did": did, "pe": pe, "ok": False, "ctx_addr": ctx_addr,
                         "ptab": ptab, "ce1": ce[1], "pe_addr": pe_addr, "rid_pasid": rid_pasid,
                         "fpd": fpd, "broken": bool(broken), "pgtt": pgtt,
                         "editable": not self.fs and not broken and pgtt in (2, 4) and aw == {3: 1, 4: 2}[dom.levels]
                         and ce[0] & 0x1f1 == 1 and not any(ce[2:]) and not (ce[1] >> 20)
                         and not any(pe[2:]) and pe[0] & 1}
        st = self.dev[dev]
        st["ok_root"] = True
        st["ok"] = st["editable"] and pgtt == 2 or (self.fs and not broken and pgtt == 1 and pe[0] & 1
                                                    and ce[0] & 0x1f1 == 1 and not any(ce[2:]))
        if pgtt == 4:
            self.pt.add(dev)

    def setup_sm(self):
        r = self.r
        lo, hi = CTX | 1, CTXU | 1
        roll = r.random()
        if roll < 0.03:
            lo &= ~1                                        # lower half not present
        elif roll < 0.06:
            hi &= ~1                                        # upper half not present
        elif roll < 0.09:
            # reserved bits, set in both halves: QEMU checks the half not
            # used by the request too (D22)
            bit = 1 << r.choice([1, 3, 11, 50])
            lo, hi = lo | bit, hi | bit
        self.wq(ROOT, lo, "sm root bus 0 lower")
        self.wq(ROOT + 8, hi, "upper")
        for d in DEVS:
            if r.random() < 0.85:
                self.build_dev_sm(d)
                upper = devfn(d) >= 0x80
                if (roll < 0.03 and not upper) or (0.03 <= roll < 0.06 and upper) or 0.06 <= roll < 0.09:
                    self.dev[d]["ok"] = self.dev[d]["ok_root"] = False
        self.emit("writeq %#x %#x" % (REG + 0x20, ROOT | 0x400))   # TTM=01b
        # scalable mode: queued invalidation only (register-based: D23);
        # 256-bit descriptors in most scripts (PASID-cache invalidation
        # needs them, D20), in every first-stage one
        self.dw = self.fs or r.random() < 0.8
        return True

    # --- common setup and actions -------------------------------------------------

    def setup(self):
        r = self.r
        self.emit("# config: " + self.config)
        self.qi = self.setup_sm() if self.sm else self.setup_legacy()
        self.emit("writel %#x 0x40000000" % (REG + 0x18))
        self.emit("readl %#x" % (REG + 0x1c))
        self.emit("writel %#x 0xfee00000" % (REG + 0x40))
        self.emit("writel %#x %#x" % (REG + 0x3c, r.randint(0x30, 0xef)))
        if r.random() < 0.5:
            self.emit("writel %#x 0" % (REG + 0x38))        # unmask fault events
        self.emit("writel %#x 0x80000000" % (REG + 0x18))
        self.emit("readl %#x" % (REG + 0x1c))
        if self.qi:
            # queued invalidation: descriptors at IQ, status words at IQS
            self.iqt = 0
            self.emit("writeq %#x %#x" % (REG + 0x90, IQ | (0x800 if self.dw else 0)))
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
        # `priv` without a PASID on some requests (both sides must record
        # neither PP nor PRIV for them: libvtd set PRIV until the suite
        # found it).
        self.priv = r.random() < 0.1

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
            hi = (1 << 18) | devfn(d)                                  # SVT=1, SQ=0
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
        """Queue descriptors (lo, hi; the upper half of a 256-bit one stays
        zero), then a wait descriptor with a status write (SW only: SW|IF
        together aborts QEMU 7.2, D5), ring IQT, read IQH and the status
        word."""
        if status is not None:
            descs = descs + [((status << 32) | 0x25, IQS)]   # wait, SW, FN
        size, n = (32, 128) if self.dw else (16, 256)
        for lo, hi in descs:
            slot = IQ + (self.iqt % n) * size
            self.wq(slot, lo)
            self.wq(slot + 8, hi)
            self.iqt += 1
        self.emit("writeq %#x %#x" % (REG + 0x88, (self.iqt % n) * size))
        self.emit("readq %#x" % (REG + 0x80))
        self.emit("readl %#x" % (REG + 0x34))
        if status is not None:
            self.emit("read %#x 4" % IQS)

    def dom_of(self, dev):
        st = self.dev.get(dev)
        return self.domains[st["did"]] if st else None

    def addr_for(self, dev):
        r = self.r
        if dev in self.pt:
            # pass-through: an address inside guest RAM, above the low 1 MiB
            # (ROM and the VGA window there are not RAM in QEMU)
            if r.random() < 0.9:
                return r.randrange(0x100000, 0x4000000)
            return r.randrange(0x100000, qr.MEM_MB << 20)
        d = self.dom_of(dev)
        m = d.maps if d else []
        if m and r.random() < 0.8:
            iova, size = r.choice(m)
            return iova + r.randrange(0, size) if size <= 0x200000 else iova + r.randrange(0, size, 0x1000) + r.randrange(0, 0x1000)
        return r.randrange(0, 1 << 40) if r.random() < 0.3 else r.randrange(0, 1 << 31)

    def req(self, s):
        """A request, unless QEMU may hold a cached translation for its
        page that does not permit it (D1, D11)."""
        w = s.split()
        dev, a = w[1], int(w[2], 0)
        write = w[-1] == "w" or (w[0] == "dma" and w[4] == "w")
        d = self.dom_of(dev)
        if d and dev not in self.pt:
            i, lf = d.leaf(a)
            if lf is not None:
                key = (dev, d.did, i)
                perm = lf[3] & lf[4] & 3
                if key in self.cached and not perm & (2 if write else 1):
                    return
                self.cached.add(key)
        self.emit(s + (" priv" if self.priv and self.r.random() < 0.3 else ""))

    def uncache(self, did=None, iova=None):
        """An IOTLB invalidation: global, a domain, or one page of it."""
        def stays(k):
            if did is None or k[1] != did:
                return did is not None
            return iova is not None and self.domains[did].leaves[k[2]][1] != iova
        self.cached = set(k for k in self.cached if stays(k))

    def action(self):
        r = self.r
        dev = r.choice(DEVS)
        k = r.random()
        if k < 0.35:
            self.req("translate %s %#x r" % (dev, self.addr_for(dev)))
        elif k < 0.50:
            a = self.addr_for(dev)
            n = r.randint(1, min(64, 0x1000 - (a & 0xfff)))
            if self.big(dev, a):
                self.req("translate %s %#x r" % (dev, a))
            else:
                self.req("dma %s %#x %d r" % (dev, a, n))
        elif k < 0.62:
            a = self.addr_for(dev)
            n = r.randint(1, min(16, 0x1000 - (a & 0xfff)))
            if self.big(dev, a):
                self.req("translate %s %#x r" % (dev, a))
            else:
                self.req("dma %s %#x %d w data=0x%s" % (dev, a, n, bytes(r.randrange(256) for _ in range(n)).hex()))
        elif k < 0.66:
            a = self.addr_for(dev)
            if not self.big(dev, a):
                self.req("dma %s %#x 1 r" % (dev, a))
                self.req("dma %s %#x 1 w data=0x5a" % (dev, a))
        elif k < 0.77:
            offs = [0x08, 0x10, 0x1c, 0x34, 0x38, 0x3c, 0x40, 0x20, 0x28, 0xf8, 0x220, 0x228]
            if self.qi:
                offs.append(0x90)
            off = r.choice(offs)
            self.emit("%s %#x" % ("readq" if off in (0x08, 0x10, 0x20, 0x28, 0x90, 0xf8, 0x220, 0x228) else "readl", REG + off))
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
        elif k < 0.97 and self.sm and self.dw and self.dev.get(dev, {}).get("editable") and r.random() < 0.35:
            if r.random() < 0.2:
                self.edit_ctx(dev)
            else:
                self.edit_pe(dev)
        elif k < 0.97 and self.dom_of(dev) and self.dom_of(dev).leaves:
            self.edit(dev)
        else:
            self.inval(r.choice(["global", "global", "dom"]), dev)

    def big(self, dev, a):
        # a 1 GiB mapping points outside both guests' RAM: translate only
        d = self.dom_of(dev)
        return dev not in self.pt and d is not None and any(
            s == 0x40000000 and i <= a < i + s for i, s in d.maps)

    def edit(self, dev):
        r = self.r
        d = self.dom_of(dev)
        leaf = r.choice(d.leaves)
        ent, iova, size, val = leaf[:4]
        how = r.choice(["perm", "np", "move"])
        if how == "perm":
            val = (val & ~3) | r.choice([1, 2, 3])
        elif how == "np":
            val &= ~3
        elif size == 0x1000:
            val = (val & 0xFFF) | (OUT4K + r.randrange(0, 0x800000, 0x1000))
        elif size == 0x200000:
            val = (val & 0xFFF) | (OUT2M + r.randrange(0, 15) * 0x200000)
        leaf[3] = val
        self.wq(ent, val, "edit")
        self.inval(r.choice(["page", "dom", "global"]), dev, iova, size)

    def edit_pe(self, dev):
        """Change the device's RID_PASID entry: pass-through <-> second
        stage, another domain (DID and table), not present and back; then
        the invalidations 6.5 asks for: PASID cache (with the old DID),
        IOTLB, and a context-cache invalidation when leaving pass-through
        (D19) or now and then anyway."""
        r = self.r
        st = self.dev[dev]
        pe = st["pe"]
        old_did = pe[1] & 0xffff
        how = r.choice(["pgtt", "domain", "domain", "present"])
        ctx = r.random() < 0.25
        if how == "pgtt":
            if st["pgtt"] == 4:
                ctx = True      # leaving pass-through: D19
            st["pgtt"] = 6 - st["pgtt"]
            pe[0] = (pe[0] & ~0x1c0) | (st["pgtt"] << 6)
        elif how == "domain":
            did = r.randint(1, 4)
            dom = self.domain(did)
            st["did"] = did
            aw = {3: 1, 4: 2}[dom.levels]
            pe[0] = (pe[0] & 0x1c3) | dom.root | (aw << 2)
            pe[1] = (pe[1] & ~0xffff) | did
        elif st["fpd"]:
            return              # a faulting PASID entry with FPD set: D13
        else:
            pe[0] ^= 1          # not present (D18 until a context-cache invalidation), or back
        if st["pgtt"] == 4 and pe[0] & 1:
            self.pt.add(dev)
        else:
            self.pt.discard(dev)
        st["ok"] = st["ok_root"] and st["pgtt"] == 2 and pe[0] & 1 == 1
        self.wq(st["pe_addr"] + 8, pe[1], "PASID entry edit " + dev)
        self.wq(st["pe_addr"], pe[0])
        pasid = st["rid_pasid"]
        g = r.choice([0, 1, 3])                 # domain, PASID or all
        descs = [(0x7 | (g << 4) | (old_did << 16) | (pasid << 32), 0)]
        if ctx:
            sid = devfn(dev)
            descs.append((0x1 | (3 << 4) | (sid << 32), 0) if r.random() < 0.5 else (0x1 | (1 << 4), 0))
        ig = r.choice([1, 2])                   # IOTLB global or the old domain
        self.uncache(None if ig == 1 else old_did)
        descs.append((0x2 | (ig << 4) | (old_did << 16), 0))
        if r.random() < 0.3:
            # PASID-based IOTLB: first-stage and nested entries only, none
            # here (QEMU 7.2: a no-op), so a no-op on both sides
            descs.append((0x6 | (2 << 4) | (old_did << 16) | (pasid << 32), 0))
        self.submit(descs, r.randint(1, 0xffff))

    def edit_ctx(self, dev):
        """Point the context entry at another RID_PASID (a copy of the
        PASID entry, maybe with another domain) in the same PASID table,
        then invalidate as 6.5 asks: context cache (device or global),
        PASID cache (all), IOTLB (global)."""
        r = self.r
        st = self.dev[dev]
        old = st["rid_pasid"]
        new = (old & ~63) | r.randrange(64)
        if new == old:
            return
        pe = list(st["pe"])
        if r.random() < 0.5:
            did = r.randint(1, 4)
            dom = self.domain(did)
            st["did"] = did
            pe[0] = (pe[0] & 0x1c3) | dom.root | ({3: 1, 4: 2}[dom.levels] << 2)
            pe[1] = (pe[1] & ~0xffff) | did
        st["pe"], st["rid_pasid"] = pe, new
        st["pe_addr"] = st["ptab"] + (new & 63) * 64
        self.wq(st["pe_addr"] + 8, pe[1], "PASID entry %s pasid %d" % (dev, new))
        self.wq(st["pe_addr"], pe[0])
        st["ce1"] = (st["ce1"] & ~0xfffff) | new
        self.wq(st["ctx_addr"] + 8, st["ce1"], "context %s: RID_PASID %d" % (dev, new))
        cc = (0x1 | (3 << 4) | (devfn(dev) << 32), 0) if r.random() < 0.5 else (0x1 | (1 << 4), 0)
        self.uncache()
        self.submit([cc, (0x7 | (3 << 4), 0), (0x2 | (1 << 4), 0)], r.randint(1, 0xffff))

    def inval(self, kind, dev, iova=0, size=0x1000):
        d = self.dom_of(dev)
        did = d.did if d else 1
        before = set(self.cached)
        self.uncache(None if kind == "global" else did, iova if kind == "page" else None)
        if self.qi:
            g = {"global": 1, "dom": 2, "page": 3}[kind]
            am = {0x1000: 0, 0x200000: 9, 0x40000000: 18}[size]
            desc = [(0x2 | (g << 4) | (did << 16), (iova | am) if kind == "page" else 0)]
            st = self.dev.get(dev, {})
            if self.fs and kind != "global" and self.r.random() < 0.5:
                # what a first stage asks for (6.5.2.4): PASID-based IOTLB,
                # the page or the whole PASID, of the device's RID_PASID;
                # other PASIDs of the domain keep what they cached
                pasid = st.get("rid_pasid", 0)
                desc = [(0x6 | (3 << 4) | (did << 16) | (pasid << 32), iova | am) if kind == "page"
                        else (0x6 | (2 << 4) | (did << 16) | (pasid << 32), 0)]

                def stays(k):
                    if k[1] != did or self.dev.get(k[0], {}).get("rid_pasid") != pasid:
                        return True
                    return kind == "page" and self.domains[did].leaves[k[2]][1] != iova
                self.cached = set(k for k in before if stays(k))
            if self.r.random() < 0.2:
                desc.insert(0, (0x1 | (1 << 4), 0))        # context cache, global
            if self.dw and self.r.random() < 0.2:
                st = self.dev.get(dev, {})
                pasid = st.get("rid_pasid", 0)
                # a PASID-based IOTLB invalidation too (no first-stage
                # entries: a no-op on both sides)
                desc.append((0x6 | (3 << 4) | (did << 16) | (pasid << 32), iova | am) if kind == "page"
                            else (0x6 | (2 << 4) | (did << 16) | (pasid << 32), 0))
            self.submit(desc, self.r.randint(1, 0xffff))
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

    def d1_probe(self):
        """D1 on purpose: make a page read-only (with the invalidation),
        read it (QEMU caches the translation), then write it.  Last in a
        script: D1 ends the comparison."""
        r = self.r
        rsvd = (0xf << 48) | (1 << 62) | (1 << 11)     # reserved, TM, SNP
        cand = [(dev, leaf) for dev in DEVS
                if dev not in self.pt and self.dev.get(dev, {}).get("ok")
                for leaf in self.dom_of(dev).leaves if leaf[2] < 0x40000000 and not leaf[3] & rsvd]
        if not cand:
            return
        dev, leaf = r.choice(cand)
        ent, iova, size, val = leaf[:4]
        if val & 3 != 1:
            leaf[3] = val = (val & ~3) | 1
            self.wq(ent, val, "D1 probe: read-only")
            self.inval(r.choice(["page", "dom", "global"]), dev, iova, size)
        a = iova + r.randrange(0, size - 4)
        self.emit("translate %s %#x r  # D1 probe" % (dev, a))
        self.emit("dma %s %#x 4 w data=0x%08x" % (dev, a, r.randrange(1 << 32)))

    def script(self, nactions=None):
        self.setup()
        for _ in range(nactions or self.r.randint(5, 30)):
            self.action()
        if self.r.random() < 0.15:
            self.d1_probe()
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
    if len(w) >= 2 and w[0] == "FAULT" and w[1].startswith("0x"):
        return "FAULT %s" % w[1]                         # the code: QEMU's side names few
    return resp


FRCD_PV = 0x0FFFFF0000000000    # FRCD bits 123:104 seen from the high quadword
FRCD_PP = 1 << 31               # FRCD bit 95
FRCD_FR = 0xFF << 32            # FRCD bits 103:96

# D12: scalable-mode faults QEMU 7.2 reports with the legacy-mode code of
# the same condition (libvtd code -> QEMU codes).  A second-stage entry with
# R=W=0 (SSL.2) is a read or write permission fault on QEMU.
SM_LEGACY = {0x39: (0x01,), 0x3a: (0x0a,), 0x41: (0x02,), 0x42: (0x0b,),
             0x78: (0x07,), 0x7b: (0x03,), 0x79: (0x05, 0x06), 0x7a: (0x0c,),
             0x83: (0x04,), 0x84: (0x04,), 0x85: (0x05,), 0x86: (0x06,)}
# D13: every PASID directory / PASID table fault is 58h on QEMU 7.2 (and not
# qualified: the generator sets no FPD on such a device).
SM_PASID = (0x46, 0x48, 0x50, 0x51, 0x52, 0x58, 0x59, 0x5b)


def fault_code(resp):
    w = resp.split()
    if len(w) >= 2 and w[0] == "FAULT" and w[1].startswith("0x"):
        return int(w[1], 16)
    return None


def sm_code(lc, qc):
    """The deviation that makes QEMU 7.2 report qc where libvtd (the spec)
    reports lc in scalable mode, or None."""
    if lc in SM_LEGACY and qc in SM_LEGACY[lc]:
        return "D12-sm-legacy-codes"
    if lc in SM_PASID and qc == 0x58:
        return "D13-sm-pasid-fault-58"
    return None


def deviation(cmd, lib, qem, lpre, qpre, sm=False):
    """(names, stop) of the documented QEMU 7.2 deviations this difference
    is, or None.  stop: the two states have diverged, compare no further;
    else the difference is only in what is read and comparison goes on."""
    w = cmd.split()
    lc, qc = fault_code(lib), fault_code(qem)
    req = w[0] in ("dma", "translate")
    write = req and w[4 if w[0] == "dma" else 3] == "w"
    if FS and req:
        # QEMU 10.0 first-stage deviations (qemu10-deviations.txt)
        # Q1: RID_PASID beyond the PASID directory size (PDTS) is not
        # checked: QEMU reads past the directory and faults on what it
        # finds there, libvtd reports SCT.9 (48h)
        if lc == 0x48 and qc is not None and qc != 0x48:
            return ["Q1-rid-pasid-pdts"], True
        # Q2: write permission checked level by level: a write through a
        # read-only upper entry faults 85h there, though a lower entry is
        # not present (71h) or has reserved bits (72h), which the spec
        # reports: access rights are those of the whole translation
        if write and qc == 0x85 and lc in (0x71, 0x72):
            return ["Q2-fs-write-per-level"], True
    # D1: write to a read-only page that is in QEMU's IOTLB: no fault.
    if write and lc == (0x85 if sm else 0x05) and qem.startswith("OK"):
        return ["D1-ro-write-cached"], True
    # D11: the same for a read from a write-only page
    if req and not write and lc == (0x86 if sm else 0x06) and qem.startswith("OK"):
        return ["D11-wo-read-cached"], True
    if req and sm:
        # D18: the PASID entry made not present; QEMU checks P only on a
        # context-cache miss and walks the second stage it still names
        if lc == 0x59 and qc != 0x58:
            return ["D18-sm-pe-present-cached"], True
        # D14: PGTT first-stage or nested accepted, walked as second stage
        # (any other PASID-entry problem is 58h on QEMU)
        if lc == 0x5b and qc != 0x58:
            return ["D14-sm-pgtt-fs-nested"], True
        # D15: PASID-entry reserved fields not checked
        if lc == 0x5a and qc != 0x5a:
            return ["D15-sm-pe-rsvd"], True
        # D17: DTE/PASIDE/PRE set without the capability: ignored
        if lc == 0x43 and qc != 0x43:
            return ["D17-sm-ctx-enables"], True
        # D26: PASID-directory-entry reserved fields not checked
        if lc == 0x52 and qc != 0x52:
            return ["D26-sm-pde-rsvd"], True
        # D25: a pass-through PASID entry with an unsupported AW
        if qc == 0x58 and lib.startswith("OK"):
            return ["D25-sm-pt-aw"], True
        d = sm_code(lc, qc)
        if d:
            return [d], False
    regs = w[0] in ("readq", "readl") and lib.startswith("OK 0x") and qem.startswith("OK 0x")
    off = int(w[1], 0) - REG if w[0] in ("readq", "readl") else None
    L, Q = (int(lib[3:], 16), int(qem[3:], 16)) if regs else (0, 0)
    if regs and w[0] == "readq" and off == 0x228:
        names = []
        if sm:
            # D16: PP=1 and PV=RID_PASID for a request without PASID
            if (L ^ Q) & (FRCD_PP | FRCD_PV):
                names.append("D16-sm-frcd-pp")
            L, Q = L & ~(FRCD_PP | FRCD_PV), Q & ~(FRCD_PP | FRCD_PV)
            # D12/D13: the fault reason
            if (L ^ Q) & FRCD_FR:
                d = sm_code((L >> 32) & 0xff, (Q >> 32) & 0xff)
                if d:
                    names.append(d)
                    L, Q = L & ~FRCD_FR, Q & ~FRCD_FR
        elif (L ^ Q) & FRCD_PV:
            # D2: FRCD.PV filled although PP=0.
            names.append("D2-frcd-pv")
            L, Q = L & ~FRCD_PV, Q & ~FRCD_PV
        if names and L == Q:
            return names, False
    # D8: compatibility-format MSI with IRE=1, CFI=0, EIME=0 passed through
    if w[0] == "msi" and lib == "FAULT 0x25 IR.5" and qem.startswith("OK"):
        return ["D8-compat-msi-cfi0"], True
    # D10: GCMD.CFI is ignored, GSTS.CFIS (bit 23) stays 0
    if regs and w[0] == "readl" and off == 0x1c:
        if L & ~(1 << 23) == Q and L & (1 << 23):
            return ["D10-gsts-cfis"], False
    # D6: CAP.ESRTPS (bit 63) and CAP.ESIRTPS (62) are QEMU >= 8 features.
    if regs and off == 0x08:
        if L & ~(3 << 62) == Q & ~(3 << 62):
            return ["D6-cap-esrtps"], False
    # D24: IQA.DW reads back 0 (and IQA 0 before QIE)
    if regs and w[0] == "readq" and off == 0x90 and L & ~0x800 == Q:
        return ["D24-iqa-dw"], False
    return None


def compare(lines, lib_out, qemu_out):
    """-> (status, detail): status 'same', 'deviation', 'incomparable',
    'diff'."""
    return compare_n(lines, lib_out, qemu_out)[:2]


# --strict (libvtd-iommu): QEMU runs libvtd too, so there is no deviation to
# allow; a fault is compared by its code, and a fault the device did not
# record (FPD, or an interrupt blocked without a record) by its outcome.
STRICT = False


def compare_strict(cmds, lg, qg):
    for i, cmd in enumerate(cmds):
        if i >= len(lg) or i >= len(qg):
            return ("diff", "output ends early at %r" % cmd, i)
        (lp, l), (qp, q) = lg[i], qg[i]
        if q.startswith("SKIP"):
            continue
        if l.startswith("FAULT memory") or l.startswith("EXIT"):
            return ("incomparable", "command %d %r: libvtd %r" % (i + 1, cmd, l), i)
        if q in ("FAULT ?? fpd", "FAULT ?? ir") and l.startswith("FAULT 0x"):
            same = True
        elif l.startswith("FAULT 0x") or q.startswith("FAULT 0x"):
            same = fault_code(l) is not None and fault_code(l) == fault_code(q)
        else:
            same = norm(l) == norm(q)
        if not same:
            return ("diff", "command %d %r: libvtd %r, QEMU %r" % (i + 1, cmd, l, q), i)
        if lp != qp:
            return ("diff", "command %d %r: IRQs libvtd %r, QEMU %r" % (i + 1, cmd, lp, qp), i)
    return ("same", "", len(cmds))


def compare_n(lines, lib_out, qemu_out):
    """compare(), and how many commands were compared before it stopped."""
    cmds = commands(lines)
    if STRICT:
        return compare_strict(cmds, group(lib_out), group(qemu_out))
    lg, qg = group(lib_out), group(qemu_out)
    sm = "x-scalable-mode=on" in qr.script_config(lines)
    seen = []
    for i, cmd in enumerate(cmds):
        if i >= len(lg) or i >= len(qg):
            if i < len(qg) and qg[i][1].startswith("QEMU DIED") or (qg and qg[-1][1].startswith("QEMU DIED")):
                return ("diff", "line %d %r: QEMU died: %s" % (i + 1, cmd, qg[-1][1])) + (i,)
            return ("diff", "output ends early at %r" % cmd) + (i,)
        (lp, l), (qp, q) = lg[i], qg[i]
        if q.startswith("SKIP"):
            continue
        if q.startswith("QEMU DIED"):
            # D4: 8-byte write to FECTL; D5: wait descriptor with SW and IF
            if "vtd_mem_write: Assertion `size == 4'" in q and cmd.startswith("writeq") and int(cmd.split()[1], 0) == REG + 0x38:
                return ("deviation", ",".join(seen + ["D4-fectl-writeq"])) + (i,)
            if "vtd_process_wait_desc: Assertion" in q:
                return ("deviation", ",".join(seen + ["D5-wait-sw-if"])) + (i,)
            return ("diff", "%r: %s" % (cmd, q)) + (i,)
        if q == "FAULT ?? fpd" and l.startswith("FAULT 0x"):
            # same outcome (QEMU's trace does not name the reason), unless
            # libvtd found a problem QEMU 7.2 does not check (then QEMU's
            # fault came later, from a walk libvtd never did)
            d = deviation(cmd, l, q, lp, qp, sm) if sm else None
            if d and d[1]:
                return ("deviation", ",".join(seen + [n for n in d[0] if n not in seen])) + (i,)
            continue
        if q == "FAULT ?? ir" and l.startswith("FAULT 0x2"):
            # D3: QEMU 7.2 blocks the MSI but records no fault; libvtd does
            return ("deviation", ",".join(seen + ["D3-no-ir-faults"])) + (i,)
        if l.startswith("FAULT memory") or l.startswith("EXIT"):
            # outside guest RAM (both sides have MEM_MB), or vtd replay
            # stopped: nothing to compare from here on
            return ("incomparable", "command %d %r: libvtd %r" % (i + 1, cmd, l)) + (i,)
        if norm(l) != norm(q):
            d = deviation(cmd, l, q, lp, qp, sm)
            if d and d[1]:
                return ("deviation", ",".join(seen + [n for n in d[0] if n not in seen])) + (i,)
            if d:
                seen += [n for n in d[0] if n not in seen]
                continue
            return ("diff", "command %d %r: libvtd %r, QEMU %r" % (i + 1, cmd, l, q)) + (i,)
        if lp != qp:
            return ("diff", "command %d %r: IRQs libvtd %r, QEMU %r" % (i + 1, cmd, lp, qp)) + (i,)
    return (("deviation", ",".join(seen)) if seen else ("same", "")) + (len(cmds),)


# `vtd replay` callocs its guest RAM; with MALLOC_PERTURB_ set (meson test
# sets it) glibc clears the whole block by hand instead of leaving the OS's
# zero pages, so every run would write MEM_MB of memory.
LIB_ENV = {k: v for k, v in os.environ.items() if k != "MALLOC_PERTURB_"}


def run_lib(vtd, lines, config):
    with tempfile.NamedTemporaryFile("w", suffix=".vtd", delete=False) as f:
        f.write("\n".join(lines) + "\n")
        path = f.name
    try:
        p = subprocess.run([vtd, "replay", "--config", config, "--mem-size", "%dM" % qr.MEM_MB, path],
                           capture_output=True, text=True, env=LIB_ENV)
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


FS = False      # --fs: first-stage scripts


def one(args):
    vtd, seed, keep, reuse = args
    g = Gen(seed, FS)
    lines = g.script()
    lib = run_lib(vtd, lines, g.config)
    qem = run_qemu(lines, g.config, reuse)
    st, detail, n = compare_n(lines, lib, qem)
    if keep and st != "same":
        with open(os.path.join(keep, "seed-%d.vtd" % seed), "w") as f:
            f.write("\n".join(lines) + "\n")
    return seed, g.sm, st, detail, n, len(commands(lines))


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
        config = a.config or qr.script_config(lines)
        lib, qem = run_lib(a.vtd, lines, config), run_qemu(lines, config, reuse=not a.fresh)
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
    ap.add_argument("--config", help="for --script and --check-deviations: instead of the "
                    "script's '# config:' line (default %s)" % qr.DEFAULT_CONFIG)
    ap.add_argument("-v", action="store_true")
    ap.add_argument("--qemu", help="the QEMU binary (default: $QEMU, else qemu-system-x86_64)")
    ap.add_argument("--fs", action="store_true",
                    help="first-stage scripts (x-flts=on): for QEMU 10.0, with its own deviations")
    ap.add_argument("--device", default=None,
                    help="the VT-d device: intel-iommu (default) or libvtd-iommu, which runs "
                         "libvtd inside QEMU: compared strictly, with no deviation allowed")
    ap.add_argument("--check-deviations", action="store_true",
                    help="run deviations/*.vtd: each must still show exactly its '# expect:' line")
    ap.add_argument("--fresh", action="store_true", help="a new QEMU for every script instead of a reset")
    a = ap.parse_args()
    global STRICT, FS
    FS = a.fs
    if a.qemu:
        qr.QEMU = a.qemu
    if a.device:
        qr.DEVICE = a.device
    STRICT = qr.DEVICE != "intel-iommu"
    if a.fs:
        qr.PASS_PROPS.add("x-flts")     # QEMU >= 10.0
    if a.check_deviations:
        return check_deviations(a)
    if a.print is not None:
        print("\n".join(Gen(a.print, FS).script()))
        return 0
    if a.script:
        lines = open(a.script).read().splitlines()
        config = a.config or qr.script_config(lines)
        lib, qem = run_lib(a.vtd, lines, config), run_qemu(lines, config)
        for c, (l, q) in zip(commands(lines), zip(group(lib), group(qem))):
            mark = "  " if norm(l[1]) == norm(q[1]) and l[0] == q[0] else "!="
            print("%s %-50s | %-40s | %s" % (mark, c[:50], " ".join(l[0] + [l[1]]), " ".join(q[0] + [q[1]])))
        st, d = compare(lines, lib, qem)
        print(st, d)
        return 0 if st != "diff" else 1
    if a.keep:
        os.makedirs(a.keep, exist_ok=True)
    t0 = time.time()
    jobs = [(a.vtd, a.seed + i, a.keep, not a.fresh) for i in range(a.n)]
    counts = {"same": 0, "deviation": 0, "diff": 0, "incomparable": 0}
    modes = {False: 0, True: 0}
    ncmp = {False: [0, 0], True: [0, 0]}     # commands compared, in all
    devs = {}
    fails = []
    if a.j > 1:
        import multiprocessing
        with multiprocessing.Pool(a.j) as pool:
            results = pool.imap_unordered(one, jobs, chunksize=4)
            results = list(results)
    else:
        results = [one(j) for j in jobs]
    for seed, sm, st, detail, n, total in sorted(results):
        counts[st] += 1
        modes[sm] += 1
        ncmp[sm][0] += n
        ncmp[sm][1] += total
        if st == "deviation":
            for name in detail.split(","):
                devs[name] = devs.get(name, 0) + 1
        if st == "diff":
            fails.append((seed, detail))
        if a.v or st in ("diff", "incomparable"):
            print("%s seed %d (%s) %s" % (st, seed, "scalable" if sm else "legacy", detail))
    dt = time.time() - t0
    print("diff-qemu: %d scripts (seeds %d..%d; %d legacy, %d scalable mode) in %.1f s, %.1f scripts/s"
          % (a.n, a.seed, a.seed + a.n - 1, modes[False], modes[True], dt, a.n / dt))
    print("  commands compared before a stop: legacy %d of %d, scalable %d of %d"
          % (ncmp[False][0], ncmp[False][1], ncmp[True][0], ncmp[True][1]))
    print("  deviations met (scripts): %s" % ", ".join("%s %d" % kv for kv in sorted(devs.items(), key=lambda kv: int(kv[0][1:].split("-")[0]))))
    print("  %s: %d same, %d met a documented QEMU deviation, %d incomparable (cut short), %d differ"
          % (qr.DEVICE, counts["same"], counts["deviation"], counts["incomparable"], counts["diff"]))
    return 1 if counts["diff"] else 0


if __name__ == "__main__":
    sys.exit(main())
