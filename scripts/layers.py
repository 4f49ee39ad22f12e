#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Check that the library's modules call and include each other top-down.

The layers (doc/design.md, "Layers"): every module has a rank, and a
module may call or include only modules of a lower rank, so no call or
include circle can form.  Calls are read from the symbols of the built
objects (nm: a module's undefined symbols that another module defines),
includes from the sources.  Usage: layers.py SRC_DIR STATIC_ARCHIVE
"""
import collections
import os
import re
import subprocess
import sys

# rank: higher calls lower, never the other way
RANKS = {
    # the object and what wraps it
    'iommu': 10, 'state': 10, 'acpi': 10,
    # MMIO dispatch
    'regs': 9,
    # register and queued invalidation
    'inval': 8,
    # ATS completions (over translate), interrupt remapping
    'ats': 7, 'ir': 7,
    # followers of the tables: nested host bindings, shadowing notifiers
    'nest': 6, 'notify': 6,
    # DMA translation, the page request queue
    'translate': 5, 'prq': 5,
    # the one decode of the guest's structures
    'tables': 4,
    # fault recording
    'fault': 3,
    # host side: compatibility and backends
    'host_compat': 3, 'host_iommufd': 3, 'host_sim': 3, 'host_sysfs': 2, 'host_profiles': 1,
    # the register image, the caches, guest memory
    'csr': 2, 'cache': 2, 'mem': 1,
    # configuration and capabilities
    'caps': 1, 'config': 1,
    'error': 0, 'util': 0, 'profiles_data': 0,
}
# headers shared by every module (types, no module behind them)
BASE_HEADERS = {'internal.h', 'viommu.h', 'csr.h', 'cache.h'}


def module_of(obj):
    name = os.path.basename(obj).replace('.c.o', '')
    if name.startswith('meson-generated_'):
        name = name.split('_', 1)[1].lstrip('._')
    return name


def calls(archive):
    out = subprocess.run(['nm', '-A', archive], capture_output=True, text=True,
                         check=True).stdout
    defs, uses = {}, collections.defaultdict(set)
    for line in out.splitlines():
        obj, _, rest = line.rpartition(':')
        m = module_of(obj.split(':')[-1])
        f = rest.split()
        if len(f) == 3 and f[1] in 'TDBRV':
            defs[f[2]] = m
        elif len(f) == 2 and f[0] == 'U':
            uses[m].add(f[1])
    edges = collections.defaultdict(set)
    for m, syms in uses.items():
        for s in syms:
            if s in defs and defs[s] != m:
                edges[m].add((defs[s], s))
    return edges


def includes(src):
    edges = collections.defaultdict(set)
    for root, _, files in os.walk(src):
        for f in files:
            if not f.endswith(('.c', '.h')):
                continue
            path = os.path.join(root, f)
            rel = os.path.relpath(path, src)
            mod = ('host_' if rel.startswith('host/') else '') + f[:-2]
            with open(path, encoding='utf-8') as fh:
                for inc in re.findall(r'^#include "([^"]+)"', fh.read(), re.M):
                    edges[(mod, f)].add(os.path.basename(inc))
    return edges


def main():
    src, archive = sys.argv[1], sys.argv[2]
    bad = []
    for m, targets in sorted(calls(archive).items()):
        for t, sym in sorted(targets):
            if m not in RANKS or t not in RANKS:
                bad.append(f'{m} -> {t} ({sym}): a module without a rank in {__file__}')
            elif RANKS[m] <= RANKS[t]:
                bad.append(f'{m} (rank {RANKS[m]}) calls {t} (rank {RANKS[t]}): {sym}')
    for (m, f), incs in sorted(includes(src).items()):
        for h in sorted(incs):
            if h in BASE_HEADERS:
                continue
            t = h[:-2]
            if f.endswith('.h') and f not in BASE_HEADERS and h != 'viommu.h':
                bad.append(f'{f} includes {h}: a module header includes only the base headers')
            elif t in RANKS and m in RANKS and RANKS[m] < RANKS[t]:
                bad.append(f'{f} (rank {RANKS[m]}) includes {h} (rank {RANKS[t]})')
    for b in bad:
        print('layers:', b)
    if bad:
        return 1
    print(f'layers: {len(RANKS)} modules, every call and include goes down')
    return 0


if __name__ == '__main__':
    sys.exit(main())
