#!/bin/sh
# Build the vm-test guest kernel from Debian's linux-source-6.12: `make
# tinyconfig` plus the fragment kernel.config, bzImage only, on every core.
# Cached under $OUT (default build-vm/) as bzImage-KEY and uapi-KEY/ (the
# guest kernel's iommufd.h and vfio.h), KEY being a hash of the fragment,
# this script and the source package version: change any of them and the
# next run rebuilds.  One object directory (kernel-obj/) is reused, so a
# fragment change rebuilds only what Kbuild finds affected.
# Prints the path of the bzImage on stdout; build chatter goes to a log.
# Environment: OUT, LINUX_TARBALL, VM_JOBS (default: nproc).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-build-vm}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
TARBALL=${LINUX_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
[ -f "$TARBALL" ] || { echo "build-kernel: $TARBALL missing (apt-get install linux-source-6.12)" >&2; exit 1; }

srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || stat -c %s "$TARBALL")
key=$( { cat "$HERE/kernel.config" "$HERE/build-kernel.sh"; echo "$srcver"; } | sha256sum | cut -c1-16)
image="$OUT/bzImage-$key"
uapi="$OUT/uapi-$key"
if [ -f "$image" ] && [ -f "$uapi/linux/iommufd.h" ]; then echo "$image"; exit 0; fi

t0=$(date +%s)
src="$OUT/linux-src-$(echo "$srcver" | tr -c 'A-Za-z0-9.\n' '_')"
# 580 MB of the tree is never read by an x86 tinyconfig build: perf and the
# selftests, device trees, and amdgpu's register headers (450 MB of .h
# files).  Every Kconfig file must stay (Kconfig sources Documentation/'s,
# crypto/Kconfig each architecture's).  The stamp records what was left out.
skip="tools/testing tools/perf arch/*/boot/dts drivers/gpu/drm/amd/include/asic_reg"
if [ "$(cat "$src/.extracted" 2>/dev/null)" != "$skip" ]; then
    # an older source version is of no further use (about 1 GB each)
    for old in "$OUT"/linux-src-*; do [ "$old" = "$src" ] || rm -rf "$old"; done
    echo "build-kernel: extracting $TARBALL" >&2
    rm -rf "$src" && mkdir -p "$src"
    top=$(basename "$TARBALL" .tar.xz)
    set -f
    set --
    for p in $skip; do set -- "$@" --exclude="$top/$p"; done
    set +f
    tar -xJf "$TARBALL" -C "$src" --strip-components=1 "$@"
    echo "$skip" >"$src/.extracted"
fi
t1=$(date +%s)

obj="$OUT/kernel-obj"
log="$OUT/kernel-build-$key.log"
# objects from another source tree (or a pre-stamp layout) are not reused
[ "$(cat "$obj/.libvtd-src" 2>/dev/null)" = "$src" ] || rm -rf "$obj"
rm -rf "$OUT"/kernel-obj-*
mkdir -p "$obj"
echo "$src" >"$obj/.libvtd-src"
jobs=${VM_JOBS:-$(nproc)}
echo "build-kernel: building with -j$jobs (log: $log)" >&2
{
    # the .config is regenerated from scratch every time: tinyconfig, then
    # the fragment, then olddefconfig for whatever the fragment implies
    # (&&: set -e does not apply inside a list followed by ||)
    make -C "$src" O="$obj" tinyconfig &&
    KCONFIG_CONFIG="$obj/.config" "$src/scripts/kconfig/merge_config.sh" -m -O "$obj" \
        "$obj/.config" "$HERE/kernel.config" &&
    make -C "$src" O="$obj" olddefconfig &&
    make -C "$src" O="$obj" -j"$jobs" bzImage
} >"$log" 2>&1 || { tail -n 40 "$log" >&2; echo "build-kernel: failed (log: $log)" >&2; exit 1; }

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

# the guest kernel's own uAPI headers, for iommufd-e2e
rm -rf "$uapi" && mkdir -p "$uapi/linux"
cp "$src/include/uapi/linux/iommufd.h" "$src/include/uapi/linux/vfio.h" "$uapi/linux/"
cp "$obj/.config" "$image.config"
cp "$obj/arch/x86/boot/bzImage" "$image.tmp" && mv "$image.tmp" "$image"
t2=$(date +%s)
echo "build-kernel: $(grep -c '=y$' "$obj/.config") options built in;" \
    "extract $((t1 - t0)) s, build $((t2 - t1)) s" >&2
[ "$bad" = 0 ] || echo "build-kernel: warning: some options did not stick (see above)" >&2
echo "$image"
