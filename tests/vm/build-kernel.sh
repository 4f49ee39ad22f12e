#!/bin/sh
# Build the vm-test guest kernel from Debian's linux-source-6.12, cached under
# $OUT (default build-vm/) keyed by the config fragment and the source version.
# Prints the path of the bzImage on stdout; all build chatter goes to a log.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-build-vm}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
TARBALL=${LINUX_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
[ -f "$TARBALL" ] || { echo "build-kernel: $TARBALL missing (apt-get install linux-source-6.12)" >&2; exit 1; }

srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || stat -c %s "$TARBALL")
key=$( { cat "$HERE/kernel.config"; echo "$srcver"; } | sha256sum | cut -c1-16)
image="$OUT/bzImage-$key"
if [ -f "$image" ]; then echo "$image"; exit 0; fi

src="$OUT/linux-src-$(echo "$srcver" | tr -c 'A-Za-z0-9.\n' '_')"
if [ ! -f "$src/.extracted" ]; then
    echo "build-kernel: extracting $TARBALL" >&2
    rm -rf "$src" && mkdir -p "$src"
    tar -xJf "$TARBALL" -C "$src" --strip-components=1
    touch "$src/.extracted"
fi

obj="$OUT/kernel-obj-$key"
log="$OUT/kernel-build-$key.log"
mkdir -p "$obj"
echo "build-kernel: building (log: $log)" >&2
start=$(date +%s)
{
    make -C "$src" O="$obj" tinyconfig
    KCONFIG_CONFIG="$obj/.config" "$src/scripts/kconfig/merge_config.sh" -m -O "$obj" \
        "$obj/.config" "$HERE/kernel.config"
    make -C "$src" O="$obj" olddefconfig
    make -C "$src" O="$obj" -j"$(nproc)" bzImage
} >"$log" 2>&1 || { tail -n 40 "$log" >&2; exit 1; }

# Every option of the fragment must have survived olddefconfig.
bad=0
grep -E '^CONFIG_[A-Z0-9_]+=' "$HERE/kernel.config" | while IFS= read -r line; do
    opt=${line%%=*}; val=${line#*=}
    if [ "$val" = n ]; then
        grep -q "^$opt=" "$obj/.config" && { echo "build-kernel: $opt is set, wanted n" >&2; echo x; }
    else
        grep -qx "$line" "$obj/.config" || { echo "build-kernel: $line did not stick" >&2; echo x; }
    fi
done | grep -q x && bad=1
cp "$obj/arch/x86/boot/bzImage" "$image.tmp" && mv "$image.tmp" "$image"
echo "build-kernel: built in $(( $(date +%s) - start )) s" >&2
[ "$bad" = 0 ] || echo "build-kernel: warning: some options did not stick (see above)" >&2
echo "$image"
