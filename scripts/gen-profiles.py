#!/usr/bin/env python3
"""Compile data/host-profiles.tsv (real hosts' VT-d CAP/ECAP, with sources)
into a C table for src/host/profiles.c.  Run by the build; the TSV is the
single source of truth."""
import csv
import sys


def cstr(s):
    out = []
    for ch in s:
        o = ord(ch)
        if ch in '"\\':
            out.append('\\' + ch)
        elif 0x20 <= o < 0x7f:
            out.append(ch)
        else:
            # UTF-8 bytes as octal escapes keep the C source ASCII
            out.extend('\\%03o' % b for b in ch.encode('utf-8'))
    return '"' + ''.join(out) + '"'


def main(src, dst):
    with open(src, newline='') as f:
        rows = list(csv.DictReader(f, delimiter='\t'))
    names = set()
    lines = ['/* Generated from data/host-profiles.tsv by scripts/gen-profiles.py. */',
             '#include <vtd/host.h>', '',
             'const struct vtd_host_profile vtd_profiles_data[] = {']
    for r in rows:
        name = r['name'].strip()
        if not name or name in names:
            sys.exit('gen-profiles: bad or duplicate profile name %r' % name)
        names.add(name)
        cap = int(r['cap'], 16)
        ecap = int(r['ecap'], 16)
        lines.append('\t{ %s, %s, %s, %s, 0x%xull, 0x%xull, %s, %s },' % (
            cstr(name), cstr(r['platform']), cstr(r['unit']), cstr(r['version']),
            cap, ecap, cstr(r['source']), cstr(r['note'])))
    lines += ['};', 'const unsigned vtd_profiles_count = %d;' % len(rows), '']
    with open(dst, 'w') as f:
        f.write('\n'.join(lines))


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
