#!/bin/sh
# make fuzz-cov: source-based coverage (clang -fprofile-instr-generate
# -fcoverage-mapping) of the library (src/, src/host/) reached by each fuzz
# target's corpus: fuzz/corpus/<t> plus build-fuzz/corpus-<t> when present
# (what `make fuzz` grew).  The targets run under the standalone driver
# (fuzz/standalone.c), no fuzzer.  Prints a per-file report of the combined
# coverage and one TOTAL line per target and combined.
# Usage: scripts/fuzz-cov.sh BUILD_DIR "TARGETS"
set -eu
B=${1:-build-cov}
TARGETS=${2:-replay config iommufd state caps}
LLVM_VER=${LLVM_VER:-$(clang --version | sed -n 's/.*clang version \([0-9]*\).*/\1/p' | head -n 1)}
PROFDATA=llvm-profdata-$LLVM_VER
COV=llvm-cov-$LLVM_VER
command -v "$PROFDATA" >/dev/null 2>&1 || PROFDATA=llvm-profdata
command -v "$COV" >/dev/null 2>&1 || COV=llvm-cov

if [ ! -f "$B/build.ninja" ]; then
	flags="-fprofile-instr-generate -fcoverage-mapping"
	CC=clang meson setup "$B" -Dtests=false -Dbuildtype=debug \
		-Dc_args="$flags" -Dc_link_args="$flags" >/dev/null
fi
bins=""
for t in $TARGETS; do bins="$bins fuzz/fuzz_${t}_run"; done
out=$(ninja -C "$B" $bins 2>&1) || { echo "$out"; exit 1; }

# only the library: everything outside src/ is left out of the figures
IGNORE='(^|/)(tools|fuzz|tests|examples|bench|include)/|/build[^/]*/src/'
total() { # label, report output -> one line: lines / functions / regions / branches
	awk -v l="$1" '/^TOTAL/ {
		printf "%-10s lines %6s of %-6s functions %6s of %-5s regions %6s of %-6s branches %6s of %s\n",
			l, $10, $8, $7, $5, $4, $2, $13, $11 }'
}
rm -rf "$B/prof"
mkdir -p "$B/prof"
objs=""
summary=""
for t in $TARGETS; do
	dirs="fuzz/corpus/$t"
	[ -d "build-fuzz/corpus-$t" ] && dirs="$dirs build-fuzz/corpus-$t"
	n=$(find $dirs -type f | wc -l)
	LLVM_PROFILE_FILE="$B/prof/$t-%p.profraw" "$B/fuzz/fuzz_${t}_run" $dirs >/dev/null 2>&1 ||
		echo "fuzz-cov: fuzz_$t failed on its corpus (run it under make check)" >&2
	"$PROFDATA" merge -sparse "$B"/prof/$t-*.profraw -o "$B/prof/$t.profdata"
	line=$("$COV" report "$B/fuzz/fuzz_${t}_run" -instr-profile="$B/prof/$t.profdata" \
		-ignore-filename-regex="$IGNORE" | total "$t")
	summary="$summary$line ($n inputs)
"
	objs="$objs -object $B/fuzz/fuzz_${t}_run"
done
# (each target has its own LLVMFuzzerTestOneInput and main: llvm-cov warns
# that their profiles mismatch; they are outside src/ and not counted)
"$PROFDATA" merge -sparse "$B"/prof/*.profraw -o "$B/prof/all.profdata"
first=$(echo $objs | awk '{print $2}')
rest=$(echo $objs | cut -d' ' -f3-)
"$COV" report $first $rest -instr-profile="$B/prof/all.profdata" -ignore-filename-regex="$IGNORE" 2>/dev/null |
	tee "$B/prof/report.txt"
echo
printf "%s" "$summary"
"$COV" report $first $rest -instr-profile="$B/prof/all.profdata" -ignore-filename-regex="$IGNORE" 2>/dev/null |
	total combined
