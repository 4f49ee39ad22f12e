#!/bin/sh
# make qemu: QEMU 10.0 (Debian's source) with -device libvtd-iommu, the
# binary at $OUT/qemu-system-x86_64 (default build-qemu/).
#
# What is expensive is cached outside the clone, keyed on what it is built
# from, and rebuilt from scratch on a machine without the cache:
#   $CACHE/dl/        the orig tarball, meson 1.7 and pycotap .debs (from a
#                     private apt sources list: the system's is not touched)
#   $CACHE/tree-KEY/  the extracted, patched source and QEMU's build tree;
#                     KEY hashes the QEMU version, patch-qemu.py and the
#                     configure line below
#   $CACHE/debian-qemu-VERSION/  Debian's QEMU 10.0 binary (debian-qemu10.sh)
# libvtd itself is built static from this clone in $OUT/libvtd and found by
# QEMU through its uninstalled pkg-config file (PKG_CONFIG_PATH only).  An
# edit of the glue or of libvtd is an incremental ninja build: the glue is
# symlinked into the tree, and the link step reruns when libvtd.a changes.
#
# Environment: OUT, LIBVTD_QEMU_CACHE (default /var/cache/libvtd-qemu, or
# ~/.cache/libvtd-qemu where that is not writable), QEMU_JOBS (default nproc).
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
GLUE="$ROOT/integrations/qemu"
OUT=${OUT:-build-qemu}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
log() { echo "make qemu: $*" >&2; }

# Debian's QEMU 10.0 in bookworm-backports (the same source as trixie's
# 10.0 stable line); meson >= 1.5 and pycotap for QEMU's configure.
QEMU_DEB_VERSION="1:10.0.2+ds-2+deb13u1~bpo12+1"
QEMU_TARBALL="qemu_10.0.2+ds.orig.tar.xz"
QEMU_DIR="qemu-10.0.2"
PY_DEBS="meson/bookworm-backports python3-pycotap/bookworm-backports"
CONFIGURE="--target-list=x86_64-softmmu --disable-download --disable-docs --disable-tools \
--disable-user --disable-werror --disable-install-blobs --disable-gnutls --disable-nettle \
--disable-gcrypt --disable-png --disable-vnc --disable-curses --disable-slirp --disable-libudev \
--disable-gtk --disable-sdl --disable-opengl --disable-spice --disable-libusb"

CACHE=${LIBVTD_QEMU_CACHE:-/var/cache/libvtd-qemu}
if ! mkdir -p "$CACHE" 2>/dev/null || [ ! -w "$CACHE" ]; then
    CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/libvtd-qemu"
    mkdir -p "$CACHE"
fi

# ---- downloads, through a private apt configuration -------------------------
. "$GLUE/papt.sh"
dl="$CACHE/dl"
mkdir -p "$dl"
if [ ! -f "$dl/$QEMU_TARBALL" ] || ! ls "$dl"/meson_*.deb "$dl"/python3-pycotap_*.deb >/dev/null 2>&1; then
    papt_update "$CACHE" || exit 1
    log "downloading QEMU $QEMU_DEB_VERSION source and meson (private apt lists in $CACHE/apt)"
    # the orig tarball is all we need: the .dsc and Debian's patches are not used
    (cd "$dl" && papt_get "$CACHE" source --download-only "qemu=$QEMU_DEB_VERSION" >"$CACHE/apt/source.log" 2>&1) || true
    [ -f "$dl/$QEMU_TARBALL" ] || { cat "$CACHE/apt/source.log" >&2; log "no $QEMU_TARBALL"; exit 1; }
    rm -f "$dl"/*.dsc "$dl"/*.debian.tar.xz
    # shellcheck disable=SC2086
    (cd "$dl" && papt_get "$CACHE" download $PY_DEBS) || { log "cannot download $PY_DEBS"; exit 1; }
fi

# meson 1.7 and pycotap, unpacked (never installed over the system's meson)
py="$CACHE/py"
if [ ! -d "$py/usr/lib/python3/dist-packages/mesonbuild" ]; then
    rm -rf "$py"
    for d in "$dl"/meson_*.deb "$dl"/python3-pycotap_*.deb; do dpkg-deb -x "$d" "$py"; done
fi
export PYTHONPATH="$py/usr/lib/python3/dist-packages${PYTHONPATH:+:$PYTHONPATH}"

# ---- the source tree and QEMU's configuration ---------------------------------
# (not this script as a whole: an edit elsewhere in it need not rebuild QEMU)
key=$( { echo "$QEMU_DEB_VERSION $CONFIGURE"; cat "$GLUE/patch-qemu.py"; } | sha256sum | cut -c1-16)
tree="$CACHE/tree-$key"
for old in "$CACHE"/tree-*; do
    [ -d "$old" ] && [ "$old" != "$tree" ] && rm -rf "$old"
done
if [ ! -f "$tree/src/.extracted" ]; then
    log "extracting $QEMU_TARBALL into $tree"
    rm -rf "$tree"
    mkdir -p "$tree/src"
    tar -xJf "$dl/$QEMU_TARBALL" -C "$tree/src" --strip-components=1
    touch "$tree/src/.extracted"
fi
python3 "$GLUE/patch-qemu.py" "$tree/src" "$GLUE"

# ---- libvtd, static, from this clone -------------------------------------------
lib="$OUT/libvtd"
if [ ! -f "$lib/build.ninja" ]; then
    rm -rf "$lib"
    meson setup "$lib" "$ROOT" -Ddefault_library=static -Dtests=false -Dbuildtype=release \
        >"$OUT/libvtd-setup.log" 2>&1 || { cat "$OUT/libvtd-setup.log" >&2; exit 1; }
fi
ninja -C "$lib" src/libvtd.a >"$OUT/libvtd-build.log" 2>&1 ||
    { cat "$OUT/libvtd-build.log" >&2; exit 1; }
pc="$lib/meson-uninstalled"

bld="$tree/build"
if [ ! -f "$bld/build.ninja" ]; then
    log "configuring QEMU ($CONFIGURE)"
    rm -rf "$bld"
    mkdir -p "$bld"
    # shellcheck disable=SC2086
    (cd "$bld" && PKG_CONFIG_PATH="$pc" "$tree/src/configure" --python=/usr/bin/python3 \
        $CONFIGURE >configure.log 2>&1) || { tail -n 40 "$bld/configure.log" >&2; exit 1; }
fi
# the clone this build serves (a CI clone is not the developer's)
if [ "$(cat "$bld/.libvtd-pc" 2>/dev/null)" != "$pc" ]; then
    "$bld/pyvenv/bin/meson" configure "-Dpkg_config_path=$pc" "$bld" >/dev/null
    echo "$pc" >"$bld/.libvtd-pc"
fi
# libvtd is a static archive ninja does not track: relink when it changed
sum=$(sha256sum "$lib/src/libvtd.a" | cut -c1-16)
if [ "$(cat "$bld/.libvtd-sum" 2>/dev/null)" != "$sum" ]; then
    rm -f "$bld/qemu-system-x86_64"
fi
jobs=${QEMU_JOBS:-$(nproc)}
t0=$(date +%s)
if ! ninja -C "$bld" -j "$jobs" qemu-system-x86_64 >"$OUT/qemu-build.log" 2>&1; then
    grep -E "error|Error" -A3 "$OUT/qemu-build.log" | head -n 60 >&2
    log "failed; the whole log is $OUT/qemu-build.log"
    exit 1
fi
echo "$sum" >"$bld/.libvtd-sum"
if ! cmp -s "$bld/qemu-system-x86_64" "$OUT/qemu-system-x86_64"; then
    cp "$bld/qemu-system-x86_64" "$OUT/qemu-system-x86_64.tmp"
    mv "$OUT/qemu-system-x86_64.tmp" "$OUT/qemu-system-x86_64"
    log "$OUT/qemu-system-x86_64 ($(( $(date +%s) - t0 )) s)"
fi
