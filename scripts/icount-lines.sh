#!/bin/sh
# SPDX-License-Identifier: MIT
#
# make icount-lines: where the instructions of one `vtd bench` scenario go,
# line by line of the library's source, per request: the floor of a row of
# doc/performance.md ("Instructions per request") shown instruction by
# instruction, so that a change that removes work can be aimed and checked.
#
#   icount-lines.sh [VTD] SCENARIO [TOP]
#
# Prints the TOP (default 40) source lines of src/ with the most
# instructions per request, their share, and the total per request.  The
# request count is that of icount.sh: the calls of vtd_iommu_translate made
# by the scenario's timed loop (both runs, calibration and timed); the
# instructions are those executed while the loop runs (callgrind
# --toggle-collect=LOOP) in lines of src/, so the benchmark's own work
# (its random numbers, the page-table writes of the strict cycle) is left
# out and the strict cycle's MMIO write of IQT is in.  A line's count is
# its self cost: an inline function's instructions show on its own lines.
# The total can differ from icount.sh's by the instructions of libc
# (memset, a mutex) that icount.sh counts inside the entry points (listed
# last, by function), and by the library's part of the loop's own setup
# (run_miss and run_strict make their guest inside the loop function: its
# SRTP's IOTLB clear shows as cache.c lines of vtd_iotlb_inval_all, about
# 30 per request of strict-cycle, under 1% of ss-miss): icount.sh's figure
# is the one to compare between commits, this one shows where it goes.
set -u
VTD=${VTD:-build/tools/vtd/vtd}
case ${1:-} in
*/*) VTD=$1; shift ;;
esac
SC=${1:?usage: icount-lines.sh [VTD] SCENARIO [TOP]}
TOP=${2:-40}
command -v valgrind >/dev/null 2>&1 || { echo "icount-lines: valgrind is not installed" >&2; exit 77; }
[ -x "$VTD" ] || { echo "icount-lines: no vtd binary at '$VTD' (make build)" >&2; exit 1; }
case $SC in
iotlb-hit|pasid-hit) loop=hit_loop ;;
ss-miss|fs-miss|fs5-miss|nested-miss|pasid-miss) loop=run_miss ;;
strict-cycle|strict-cycle-fs|strict-cycle-nested) loop=run_strict ;;
*) echo "icount-lines: no timed loop known for scenario '$SC'" >&2; exit 2 ;;
esac
T=$(mktemp -d "${TMPDIR:-/tmp}/icount-lines.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
if ! valgrind --tool=callgrind --callgrind-out-file="$T/cg.out" --compress-strings=no \
        --compress-pos=no --toggle-collect="$loop" --log-file="$T/valgrind.log" \
        "$VTD" bench --runs 1 --seconds 0.01 "$SC" >"$T/bench.out" 2>&1; then
    echo "icount-lines: valgrind $VTD bench $SC failed:" >&2
    cat "$T/bench.out" "$T/valgrind.log" >&2
    exit 1
fi
awk -v loop="$loop" -v top="$TOP" -v sc="$SC" -v q="'" '
    function base(f) { sub("[." q "].*$", "", f); return f }
    function src(file, line,    l, k) {
        if (!(file in seen)) {
            seen[file] = 1
            k = 0
            while ((getline l < file) > 0)
                text[file, ++k] = l
            close(file)
        }
        l = text[file, line]
        gsub(/^[ \t]+/, "", l)
        return substr(l, 1, 70)
    }
    /^fl=/ { fl = substr($0, 4); file = fl; next }
    /^(fi|fe)=/ { file = substr($0, 4); next }
    /^fn=/ { fn = base(substr($0, 4)); file = fl; next }
    /^cfn=/ { cfn = base(substr($0, 5)); next }
    /^cf[il]=/ { next }
    /^calls=/ {
        split(substr($0, 7), c, " ")
        getline line                 # the inclusive cost of those calls: not self
        if (fn == loop && cfn == "vtd_iommu_translate")
            calls += c[1]
        next
    }
    /^[0-9]/ {
        if (file ~ /\/src\//) {
            k = file SUBSEP $1
            ir[k] += $2
            total += $2
        } else if (fn != loop && file !~ /\/(bench|tools)\//) {
            other[fn] += $2
            ototal += $2
        }
    }
    END {
        if (!calls) {
            printf "icount-lines: %s: no call of vtd_iommu_translate from %s\n", sc, loop >"/dev/stderr"
            exit 1
        }
        n = 0
        for (k in ir) { keys[++n] = k }
        # sort by cost, descending (insertion sort: a few hundred lines)
        for (i = 2; i <= n; i++) {
            v = keys[i]
            for (j = i - 1; j >= 1 && ir[keys[j]] < ir[v]; j--)
                keys[j + 1] = keys[j]
            keys[j + 1] = v
        }
        printf "%s: %d requests; instructions per request in src/ lines: %.1f\n", sc, calls, total / calls
        printf "%7s %6s  %-28s %s\n", "per req", "share", "line", "source"
        for (i = 1; i <= n && i <= top; i++) {
            split(keys[i], p, SUBSEP)
            f = p[1]; sub(/^.*\/src\//, "src/", f)
            printf "%7.1f %5.1f%%  %-28s %s\n", ir[keys[i]] / calls, 100 * ir[keys[i]] / total,
                   f ":" p[2], src(p[1], p[2])
        }
        rest = 0
        for (i = top + 1; i <= n; i++)
            rest += ir[keys[i]]
        if (rest)
            printf "%7.1f %5.1f%%  (%d more lines)\n", rest / calls, 100 * rest / total, n - top
        if (ototal / calls >= 0.5) {
            printf "outside src/ (libc, PLT), per request: %.1f\n", ototal / calls
            for (f in other)
                if (other[f] / calls >= 0.5)
                    printf "%7.1f  %s\n", other[f] / calls, f
        }
    }' "$T/cg.out"
