#!/bin/sh
# Compare the built library's ABI with the recorded baseline (abi/libvtd.abi)
# using libabigail's abidiff.  New functions and types are fine (the version
# script grows); any change to what was there fails.  Output is TAP.
#   abi-check.sh LIB HEADERS-DIR BASELINE          check
#   abi-check.sh --update LIB HEADERS-DIR BASELINE record a new baseline
#   abi-check.sh --selftest LIB HEADERS-DIR BASELINE
#        a baseline with one struct changed must be reported incompatible
set -u
mode=check
case "${1:-}" in --update|--selftest) mode=${1#--}; shift ;; esac
LIB=$1; HDR=$2; BASE=$3
if ! command -v abidiff >/dev/null 2>&1; then
    echo "1..0 # SKIP abigail-tools (abidiff) not installed"
    exit 0
fi
case $mode in
update)
    abidw --headers-dir "$HDR" --out-file "$BASE" "$LIB" && echo "recorded $BASE"
    exit $?
    ;;
selftest)
    T=$(mktemp)
    trap 'rm -f "$T"' EXIT
    # shrink struct vtd_iommu_opts in a copy of the baseline: what a caller
    # built against it would pass no longer matches the library
    sed "s/<class-decl name='vtd_iommu_opts' size-in-bits='\([0-9]*\)'/<class-decl name='vtd_iommu_opts' size-in-bits='64'/" \
        "$BASE" >"$T"
    if cmp -s "$BASE" "$T"; then
        echo "not ok 1 - the baseline has no vtd_iommu_opts to change"; echo "1..1"; exit 1
    fi
    if abidiff --no-added-syms --headers-dir2 "$HDR" "$T" "$LIB" >/dev/null; then
        echo "not ok 1 - a changed struct went unnoticed"; echo "1..1"; exit 1
    fi
    echo "ok 1 - a changed struct is reported as an ABI break"
    echo "1..1"
    exit 0
    ;;
esac
out=$(abidiff --no-added-syms --headers-dir2 "$HDR" "$BASE" "$LIB" 2>&1)
rc=$?
if [ $rc -eq 0 ]; then
    echo "ok 1 - ABI matches abi/libvtd.abi (additions allowed)"
    echo "1..1"
    exit 0
fi
echo "not ok 1 - ABI differs from abi/libvtd.abi (abidiff exit $rc)"
echo "$out" | sed 's/^/# /'
echo "# an intended change: bump the SONAME (see libvtd(3), ABI) and run"
echo "#   make abi-update"
echo "1..1"
exit 1
