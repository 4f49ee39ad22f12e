#!/usr/bin/env python3
"""Generate one section-3 man page per public function and struct from the
comments in include/vtd/*.h, so the pages cannot drift from the headers.

  gen-manpages.py OUTDIR HEADER...          write OUTDIR/<name>.3 and a stamp
  gen-manpages.py --check MAPFILE HEADER... fail unless every exported symbol
                                            (the linker version script) is
                                            declared with a comment, and every
                                            declaration is exported
"""
import os
import re
import sys

DECL = re.compile(r'VTD_API\s+([^;]*?)\b(vtd_\w+)\s*\(([^;]*?)\)\s*;', re.S)
STRUCT = re.compile(r'^struct (vtd_\w+) \{', re.M)
COMMENT = re.compile(r'/\*(.*?)\*/', re.S)


def clean_comment(c):
    lines = []
    for ln in c.splitlines():
        ln = ln.strip()
        if ln.startswith('*'):
            ln = ln[1:].strip()
        lines.append(ln)
    text = ' '.join(l for l in lines if l)
    return text.strip()


def items(path):
    """(kind, name, synopsis, comment, header) for each public item."""
    src = open(path).read()
    out = []
    found = []
    for m in DECL.finditer(src):
        found.append(('function', m.group(2), m.start(), m.end(), ' '.join(m.group(0).split())))
    for m in STRUCT.finditer(src):
        end = src.find('};', m.end())
        body = src[m.start():end + 2]
        found.append(('struct', m.group(1), m.start(), end + 2, body))
    found.sort(key=lambda t: t[2])
    for kind, name, start, end, syn in found:
        # the comment that documents it: the last one before it that is not
        # separated from it by another item (functions grouped under one
        # comment share it)
        before = src[:start]
        comments = list(COMMENT.finditer(before))
        doc = ''
        if comments:
            c = comments[-1]
            between = before[c.end():]
            if between.count('\n') <= 12:
                doc = clean_comment(c.group(1))
        out.append((kind, name, syn.replace('VTD_API ', ''), doc, os.path.basename(path)))
    return out


def roff(s):
    return s.replace('\\', '\\\\').replace('\n.', '\n\\&.').replace("-", "\\-")


def page(kind, name, syn, doc, header):
    first = doc.split('. ')[0].rstrip('.') if doc else name
    lines = ['.TH %s 3 2026-11-25 "libvtd 0.1.0" "Library Functions Manual"' % name.upper(),
             '.SH NAME', '%s \\- %s' % (name, roff(first[:200])),
             '.SH SYNOPSIS', '.nf', '.B #include <vtd/vtd.h>', '.PP']
    for ln in syn.splitlines():
        lines.append(roff(ln))
    lines += ['.fi', '.SH DESCRIPTION', roff(doc) if doc else 'See libvtd(3).',
              '.PP', 'Declared in', '.IR <vtd/%s> .' % header,
              '.SH SEE ALSO', 'libvtd(3), vtd(1)', '']
    return '\n'.join(lines)


def main(argv):
    if argv and argv[0] == '--list':
        for h in argv[1:]:
            for kind, name, syn, doc, hdr in items(h):
                print(name + '.3')
        return 0
    if argv and argv[0] == '--check':
        mapfile, headers = argv[1], argv[2:]
        exported = set(re.findall(r'^\s*(vtd_\w+);', open(mapfile).read(), re.M))
        declared = {}
        for h in headers:
            for kind, name, syn, doc, hdr in items(h):
                if kind == 'function':
                    declared[name] = doc
        bad = 0
        n = 0
        for sym in sorted(exported | set(declared)):
            n += 1
            if sym not in declared:
                print('not ok %d - %s is exported but not declared in a public header' % (n, sym))
                bad += 1
            elif sym not in exported:
                print('not ok %d - %s is declared VTD_API but missing from the version script' % (n, sym))
                bad += 1
            elif not declared[sym]:
                print('not ok %d - %s has no comment to make its man page from' % (n, sym))
                bad += 1
            else:
                print('ok %d - %s has a man page' % (n, sym))
        print('1..%d' % n)
        return 1 if bad else 0
    outdir, headers = argv[0], argv[1:]
    os.makedirs(outdir, exist_ok=True)
    for h in headers:
        for kind, name, syn, doc, hdr in items(h):
            with open(os.path.join(outdir, name + '.3'), 'w') as f:
                f.write(page(kind, name, syn, doc, hdr))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
