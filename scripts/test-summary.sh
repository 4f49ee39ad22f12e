#!/bin/sh
# Sum meson's test logs of the given build directories into one closing line
# "N passed, N failed, N skipped" (the format CI reads).
pass=0; fail=0; skip=0
for d in "$@"; do
    log="$d/meson-logs/testlog.json"
    [ -f "$log" ] || continue
    p=$(grep -c '"result": "OK"' "$log")
    x=$(grep -c '"result": "EXPECTEDFAIL"' "$log")
    s=$(grep -c '"result": "SKIP"' "$log")
    t=$(grep -c '"result"' "$log")
    pass=$((pass + p + x)); skip=$((skip + s)); fail=$((fail + t - p - x - s))
done
echo "summary: $pass passed, $fail failed, $skip skipped"
