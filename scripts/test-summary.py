#!/usr/bin/env python3
"""Sum meson's test logs (testlog.json) of the given build directories, and
the TAP files given with --tap (make test's vm-test), into one closing line,
"summary: N passed, N failed, N skipped", counting test cases: cmocka's
per-test results and TAP's subtests, not just programs.

usage: test-summary.py [--tap FILE]... BUILDDIR...

A TAP file that is missing, bails out or lacks its plan (a run cut short)
counts as one more failure, so an unfinished run can never read as passed."""
import json
import os
import re
import sys

passed = failed = skipped = 0
dirs, taps = [], []
argv = sys.argv[1:]
while argv:
    a = argv.pop(0)
    if a == '--tap' and argv:
        taps.append(argv.pop(0))
    else:
        dirs.append(a)

for path in taps:
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        print('%s: missing (the run did not finish): 1 failure' % path)
        failed += 1
        continue
    for m in re.finditer(r'^(not )?ok \d+\b[^\n]*', text, re.M):
        if re.search(r'#\s*skip', m.group(0), re.I):
            skipped += 1
        elif m.group(1):
            failed += 1
        else:
            passed += 1
    plan = re.search(r'^1\.\.(\d+)\s*$', text, re.M)
    ran = len(re.findall(r'^(?:not )?ok \d+', text, re.M))
    if re.search(r'^Bail out!', text, re.M) or not plan or int(plan.group(1)) != ran:
        print('%s: incomplete (bailed out or plan does not match): 1 failure' % path)
        failed += 1

for d in dirs:
    log = os.path.join(d, 'meson-logs', 'testlog.json')
    if not os.path.exists(log):
        continue
    with open(log) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            t = json.loads(line)
            out = t.get('stdout') or ''
            res = t.get('result')
            if res == 'SKIP':
                skipped += 1
                continue
            # cmocka: "[==========] N test(s) run." on stdout, failures as
            # "[  FAILED  ] name" lines (the totals go to stderr)
            cm_run = re.findall(r'^\[==========\] (\d+) test\(s\) run', out, re.M)
            cm_failed_names = set(re.findall(r'^\[  FAILED  \] (\w+)\s*$', out, re.M))
            tap_ok = len(re.findall(r'^ok \d+', out, re.M))
            tap_bad = len(re.findall(r'^not ok \d+', out, re.M))
            if cm_run:
                b = len(cm_failed_names)
                p = sum(map(int, cm_run)) - b
            elif tap_ok or tap_bad:
                p, b = tap_ok, tap_bad
            else:
                p, b = (1, 0) if res in ('OK', 'EXPECTEDFAIL') else (0, 1)
            # a program that failed without saying which case counts once
            if res not in ('OK', 'EXPECTEDFAIL') and b == 0:
                b = 1
            passed += p
            failed += b
print('summary: %d passed, %d failed, %d skipped' % (passed, failed, skipped))
