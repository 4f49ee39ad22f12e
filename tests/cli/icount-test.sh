#!/bin/sh
# Tests of the instruction-count tools (scripts/icount.sh, make icount;
# scripts/icount-lines.sh, make icount-lines): their output is what
# doc/performance.md quotes, so its form, the agreement of the two totals
# and the error paths are checked here.  Needs valgrind; skipped without
# it and for a sanitizer build (valgrind does not run those).  Prints TAP.
# Usage: icount-test.sh PATH/TO/vtd SOURCE_ROOT
set -u
VTD=${1:?usage: icount-test.sh VTD SOURCE_ROOT}
ROOT=${2:?usage: icount-test.sh VTD SOURCE_ROOT}
. "$(dirname "$0")/tap-lib.sh"
if ! command -v valgrind >/dev/null 2>&1; then
    echo "1..0 # SKIP valgrind is not installed"
    exit 0
fi
if nm -D "$VTD" 2>/dev/null | grep -q '__asan_init\|__tsan_init' ||
   ldd "$VTD" 2>/dev/null | grep -q 'libasan\|libtsan'; then
    echo "1..0 # SKIP a sanitizer build (valgrind cannot run it)"
    exit 0
fi

# icount.sh: one line, the scenario, the calls and the figure
sh "$ROOT/scripts/icount.sh" "$VTD" iotlb-hit >"$T/out" 2>"$T/err"
if [ $? -eq 0 ]; then ok "icount.sh iotlb-hit runs (exit 0)"; else notok "icount.sh iotlb-hit runs (exit 0)"; fi
expect out '^iotlb-hit +70000 +[0-9]+$' "icount.sh: SCENARIO CALLS IR_PER_CALL"
total=$(awk '{print $3}' "$T/out")

# icount-lines.sh: a header with the same request count, lines of src/
sh "$ROOT/scripts/icount-lines.sh" "$VTD" iotlb-hit 10 >"$T/out" 2>"$T/err"
if [ $? -eq 0 ]; then ok "icount-lines.sh iotlb-hit runs (exit 0)"; else notok "icount-lines.sh iotlb-hit runs (exit 0)"; fi
expect out '^iotlb-hit: 70000 requests; instructions per request in src/ lines: [0-9.]+$' \
    "icount-lines.sh: the header names the requests and the total"
expect out '^ +[0-9.]+ +[0-9.]+%  src/translate\.c:[0-9]+ ' "icount-lines.sh: lines of src/ with their share"
lines=$(grep -c '  src/' "$T/out")
if [ "$lines" -eq 10 ]; then ok "icount-lines.sh: TOP lines (10)"; else
    echo "# $lines lines" >>"$T/err"; notok "icount-lines.sh: TOP lines (10)"; fi
sum=$(sed -n 's/^.*instructions per request in src\/ lines: //p' "$T/out")
# the hit calls nothing outside src/: the two totals agree within 3%
if [ -n "$total" ] && [ -n "$sum" ] &&
   awk -v a="$total" -v b="$sum" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 0.03 * a) }'; then
    ok "icount-lines.sh total ($sum) agrees with icount.sh ($total)"
else
    echo "# icount.sh $total, icount-lines.sh $sum" >>"$T/err"
    notok "icount-lines.sh total agrees with icount.sh"
fi

# errors: a scenario without a known loop, a missing binary
sh "$ROOT/scripts/icount-lines.sh" "$VTD" no-such-scenario >"$T/out" 2>"$T/err"
if [ $? -eq 2 ]; then ok "icount-lines.sh: unknown scenario (exit 2)"; else notok "icount-lines.sh: unknown scenario (exit 2)"; fi
expect err "no timed loop known for scenario 'no-such-scenario'" "icount-lines.sh names the bad scenario"
sh "$ROOT/scripts/icount-lines.sh" "$T/no/vtd" iotlb-hit >"$T/out" 2>"$T/err"
if [ $? -eq 1 ]; then ok "icount-lines.sh: no binary (exit 1)"; else notok "icount-lines.sh: no binary (exit 1)"; fi
expect err "no vtd binary at '$T/no/vtd'" "icount-lines.sh names the missing binary"
sh "$ROOT/scripts/icount.sh" "$VTD" no-such-scenario >"$T/out" 2>"$T/err"
if [ $? -eq 1 ]; then ok "icount.sh: unknown scenario (exit 1)"; else notok "icount.sh: unknown scenario (exit 1)"; fi
expect err "no timed loop known for scenario 'no-such-scenario'" "icount.sh names the bad scenario"

echo "1..$n"
[ "$fails" -eq 0 ]
