#!/bin/sh
# Replay every tests/replay/*.vtd and compare with its .out (TAP).
# A "# config: PROPS" line among the first lines gives --config, a
# "# host: sim" line --host.
# Usage: run.sh VTD DIR [--update]
set -u
VTD=$1; DIR=$2; UPDATE=${3:-}
n=0; fails=0
T=$(mktemp)
trap 'rm -f "$T"' EXIT
for s in "$DIR"/*.vtd; do
    n=$((n + 1))
    name=$(basename "$s" .vtd)
    cfg=$(sed -n '1,5s/^# config: *//p' "$s" | head -n 1)
    host=$(sed -n '1,5s/^# host: *//p' "$s" | head -n 1)
    "$VTD" replay ${cfg:+--config "$cfg"} ${host:+--host "$host"} "$s" >"$T" 2>&1
    echo "exit $?" >>"$T"
    if [ "$UPDATE" = --update ]; then cp "$T" "$DIR/$name.out"; fi
    if cmp -s "$T" "$DIR/$name.out"; then
        echo "ok $n - $name"
    else
        fails=$((fails + 1))
        echo "not ok $n - $name"
        diff -u "$DIR/$name.out" "$T" | sed 's/^/# /' | head -40
    fi
done
echo "1..$n"
[ "$fails" -eq 0 ]
