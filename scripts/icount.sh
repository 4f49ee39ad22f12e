#!/bin/sh
# SPDX-License-Identifier: MIT
#
# make icount: instructions executed per call of vtd_iommu_translate() on the
# translate paths of `vtd bench`, counted by callgrind.  Wall-clock figures
# move with the machine and its load; an instruction count does not, so this
# is the number to compare between commits (and between machines).
#
#   icount.sh [VTD [SCENARIO...]]
#
# VTD is the vtd binary (default $VTD, else build/tools/vtd/vtd); the
# scenarios default to iotlb-hit pasid-hit ss-miss fs-miss fs5-miss
# nested-miss pasid-miss strict-cycle strict-cycle-fs strict-cycle-nested.  One
# line per scenario on stdout:
#
#   SCENARIO  CALLS  IR_PER_CALL
#
# CALLS is the number of calls of vtd_iommu_translate made by the scenario's
# timed loop (hit_loop for iotlb-hit and pasid-hit, run_miss for the *-miss ones,
# run_strict for the strict-cycle ones), and IR_PER_CALL the instructions
# executed inside those calls, callees included (inclusive Ir), divided by
# CALLS and rounded to the nearest integer.  For a strict-cycle scenario
# (one translation per cycle) the instructions inside the loop's calls of
# vtd_iommu_mmio_write (the IQT write that runs the two queued descriptors)
# are added: the figure is per cycle.
#
# How it is counted.  Each scenario runs once under
#   valgrind --tool=callgrind --dump-after=bench_run_once \
#       VTD bench --runs 1 --seconds 0.01 SCENARIO
# and the script reads callgrind's raw output (not callgrind_annotate's
# report): every call arc "caller -> vtd_iommu_translate" carries its call
# count and the inclusive cost of those calls, which is exactly the cost of
# vtd_iommu_translate per call, and lets the calls be told apart by caller.
# Only the arcs from the timed loop are summed, so the scenario's warm-up is
# left out (iotlb-hit first fills the IOTLB with 4096 misses from
# hit_guest: counting them would add ~120 instructions to every hit), and
# so is whatever the benchmark does around its calls (eviction and
# invalidation made by the loop itself, the loop's own random numbers).
# --toggle-collect=vtd_iommu_translate with the total Ir divided by the call
# count would give the same figure only when every call comes from the
# loop.  Callgrind counts a tail call from the fast path into the general
# path as a call made by vtd_iommu_translate, so it is included; the PLT
# stub is skipped (--skip-plt=yes, the default).
#
# What a call includes: for iotlb-hit and pasid-hit, an IOTLB hit (the
# fast path); for a *-miss scenario (a 16-entry IOTLB over 64K pages) nearly
# every call is a miss: the fast path's failed probe, then the walk (the
# fast miss's from the cached root; the general path's: context lookup and
# the walk, where the fast miss cannot), the IOTLB insert and the eviction
# of an older entry; a rare call hits.  The figure is an average over the loop's calls, so one-time
# work done by the first calls of each run (filling the context cache and
# the PASID-table cache) is spread over them.  It depends on the compiler
# and its flags (the build's), not on the machine.
#
# Repeatable: the bench loops use fixed seeds.  Machine-independent: `vtd
# bench` sizes each scenario from a calibration run at a fixed size (scale
# 0.05) and then one timed run sized from the calibration's wall time; with
# --seconds 0.01 --runs 1 that size is clamped to its minimum (scale 0.02)
# whenever the calibration takes over 25 ms, which under callgrind it always
# does by a wide margin.  The loop's calls are counted in both runs (as
# doc/performance.md did: 70,000 for iotlb-hit); --dump-after splits them,
# and the script checks that the timed run made 2/5 of the calibration's
# calls, so that CALLS and the figure never depend on the machine's speed
# (it warns and exits 1 otherwise).
#
# Exit status: 0, 77 when valgrind is not installed (a skip), 1 on error.
set -u

VTD=${1:-${VTD:-build/tools/vtd/vtd}}
[ $# -gt 0 ] && shift
SCENARIOS=${*:-iotlb-hit pasid-hit ss-miss fs-miss fs5-miss nested-miss pasid-miss strict-cycle strict-cycle-fs strict-cycle-nested}

if ! command -v valgrind >/dev/null 2>&1; then
    echo "icount: valgrind is not installed (apt-get install valgrind): skipped" >&2
    exit 77
fi
if [ ! -x "$VTD" ]; then
    echo "icount: no vtd binary at '$VTD' (make build, or give its path)" >&2
    exit 1
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/icount.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
trap 'exit 1' HUP INT TERM

rc=0
for sc in $SCENARIOS; do
    # the function whose calls of vtd_iommu_translate are the timed loop
    # and the entry points counted (the strict cycle: the DMA's translation
    # and the MMIO write of IQT that runs the queue)
    targets=vtd_iommu_translate
    case $sc in
    iotlb-hit|pasid-hit) loop=hit_loop ;;
    ss-miss|fs-miss|fs5-miss|nested-miss|pasid-miss) loop=run_miss ;;
    strict-cycle|strict-cycle-fs|strict-cycle-nested)
        loop=run_strict targets="vtd_iommu_translate vtd_iommu_mmio_write" ;;
    *) echo "icount: no timed loop known for scenario '$sc'" >&2; exit 1 ;;
    esac
    rm -f "$T"/cg.out*
    if ! valgrind --tool=callgrind --callgrind-out-file="$T/cg.out" \
            --compress-strings=no --compress-pos=no --dump-after=bench_run_once \
            --log-file="$T/valgrind.log" \
            "$VTD" bench --runs 1 --seconds 0.01 "$sc" >"$T/bench.out" 2>&1; then
        echo "icount: $sc: valgrind $VTD bench failed:" >&2
        cat "$T/bench.out" "$T/valgrind.log" >&2
        exit 1
    fi
    # the dumps in the order they were written: cg.out.1, cg.out.2, ...,
    # then cg.out (what ran after the last bench_run_once)
    files=''
    i=1
    while [ -f "$T/cg.out.$i" ]; do
        files="$files cg.out.$i"
        i=$((i + 1))
    done
    # shellcheck disable=SC2086 # $files: cg.out.N, no blanks
    (cd "$T" && awk -v sc="$sc" -v loop="$loop" -v targets="$targets" -v q="'" '
        # a compiler clone (run_miss.constprop.0) or a recursion level
        # (the name, a quote, a number) is the same function
        function base(f) { sub("[." q "].*$", "", f); return f }
        BEGIN { nt = split(targets, tl, " "); target = tl[1]; for (k = 1; k <= nt; k++) is_t[tl[k]] = 1 }
        FNR == 1 { part++ }
        /^fn=/ { fn = base(substr($0, 4)); cfn = ""; next }
        /^cfn=/ { cfn = base(substr($0, 5)); next }
        /^calls=/ {
            # "calls=COUNT TARGET-POSITION", then "POSITION INCLUSIVE-IR"
            split(substr($0, 7), c, " ")
            if ((getline line) <= 0) {
                truncated = 1
                exit
            }
            if (!(cfn in is_t))
                next
            split(line, cost, " ")
            ir[fn] += cost[2]
            if (cfn != target)
                next
            n[fn] += c[1]
            if (fn == loop)
                per_part[part] += c[1]
        }
        END {
            if (truncated) {
                printf "icount: %s: callgrind output ends after a calls= line\n", sc >"/dev/stderr"
                exit 1
            }
            if (!(loop in n)) {
                printf "icount: %s: no call of %s from %s; callers:", sc, target, loop >"/dev/stderr"
                for (k in n)
                    printf " %s (%d calls)", k, n[k] >"/dev/stderr"
                printf "\n" >"/dev/stderr"
                exit 1
            }
            # the loop calls of each run: the calibration (scale 0.05),
            # then the timed run (scale 0.02 when clamped): 5:2
            runs = 0
            for (p = 1; p <= part; p++)
                if (per_part[p])
                    r[++runs] = per_part[p]
            bad = runs != 2 || 2 * r[1] != 5 * r[2]
            if (bad) {
                printf "icount: %s: loop calls per run", sc >"/dev/stderr"
                for (i = 1; i <= runs; i++)
                    printf " %d", r[i] >"/dev/stderr"
                printf ", not 5:2 in two runs: the timed run was sized from this machine%ss speed\n", q >"/dev/stderr"
            }
            printf "%-20s %8d %6d\n", sc, n[loop], int((2 * ir[loop] + n[loop]) / (2 * n[loop]))
            exit bad
        }' $files cg.out) || rc=1
done
exit $rc
