# Shared by the CLI test scripts (sourced; needs VTD set): a scratch
# directory $T, TAP counters, and checks on the last command's output in
# $T/out and $T/err.  The sourcing script ends with: echo "1..$n"; [ "$fails" -eq 0 ]
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
n=0
fails=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; sed 's/^/# /' "$T/out" "$T/err" | head -20; }

# run EXPECTED_STATUS DESCRIPTION -- ARGS...: runs vtd, checks the status
run() {
    want=$1; desc=$2; shift 3
    "$VTD" "$@" >"$T/out" 2>"$T/err"
    got=$?
    if [ "$got" -eq "$want" ]; then ok "$desc (exit $want)"; else
        echo "# expected exit $want, got $got: vtd $*" >>"$T/err"; notok "$desc (exit $want)"; fi
}
# expect FILE PATTERN DESCRIPTION: grep -E a pattern in out or err
expect() {
    if grep -Eq -- "$2" "$T/$1"; then ok "$3"; else echo "# no match for /$2/ in $1" >>"$T/err"; notok "$3"; fi
}
reject() {
    if grep -Eq -- "$2" "$T/$1"; then echo "# unexpected /$2/ in $1" >>"$T/err"; notok "$3"; else ok "$3"; fi
}
json_ok() {
    if python3 -m json.tool "$T/out" >/dev/null 2>&1; then ok "$1"; else notok "$1"; fi
}
json_eq() { # json_eq PYEXPR EXPECTED DESC: evaluate on the parsed JSON (bound to j)
    got=$(python3 -c "import json,sys; j=json.load(open('$T/out')); print($1)" 2>&1)
    if [ "$got" = "$2" ]; then ok "$3"; else echo "# $1 = $got, expected $2" >>"$T/err"; notok "$3"; fi
}
