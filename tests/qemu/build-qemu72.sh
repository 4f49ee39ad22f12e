#!/bin/sh
# SPDX-License-Identifier: MIT
#
# QEMU 7.2 from Debian's source (bookworm: the version the system's
# qemu-system-x86 package is, with Debian's patches applied), built for
# x86_64-softmmu with QEMU's default -O2 -g, for make bench-compare: Debian's
# binary has no symbols to count instructions in, and its debug symbols
# (debian-debug) are not reachable from here.
#
#   OUT=DIR sh tests/qemu/build-qemu72.sh      -> DIR/qemu-system-x86_64
#
# The source comes through a private apt sources list (deb-src bookworm
# main) under the cache; the system's sources are never touched.  The build
# is cached in $LIBVTD_QEMU_CACHE (default /var/cache/libvtd-qemu) under a
# key of the version and the configure line: about 10 minutes on 2 cores
# the first time, nothing after.
set -eu

QEMU72_DEB_VERSION=${QEMU72_DEB_VERSION:-1:7.2+dfsg-7+deb12u18}
CONFIGURE="--target-list=x86_64-softmmu --meson=/usr/bin/meson --disable-docs --disable-tools \
--disable-user --disable-werror --disable-gtk --disable-sdl --disable-vnc --disable-spice \
--disable-opengl --disable-curses --disable-libusb --disable-slirp --disable-png --disable-gnutls \
--disable-nettle --disable-gcrypt --disable-libudev --disable-install-blobs"
OUT=${OUT:-build-qemu72}
CACHE=${LIBVTD_QEMU_CACHE:-/var/cache/libvtd-qemu}
if ! mkdir -p "$CACHE" 2>/dev/null || [ ! -w "$CACHE" ]; then
    CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/libvtd-qemu"
    mkdir -p "$CACHE"
fi
log() { echo "build-qemu72: $*" >&2; }

key=$(echo "$QEMU72_DEB_VERSION $CONFIGURE" | sha256sum | cut -c1-16)
top="$CACHE/qemu72-$key"
bin="$top/build/qemu-system-x86_64"
if [ ! -x "$bin" ]; then
    for old in "$CACHE"/qemu72-*; do
        [ -d "$old" ] && [ "$old" != "$top" ] && rm -rf "$old"
    done
    apt="$top/apt"
    mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$top/dl"
    echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]" \
         "http://deb.debian.org/debian bookworm main" >"$apt/sources.list"
    o="-o Dir::Etc::SourceList=$apt/sources.list -o Dir::Etc::SourceParts=/dev/null
       -o Dir::State::Lists=$apt/lists -o Dir::Cache=$apt/cache -o APT::Sandbox::User=root"
    # shellcheck disable=SC2086
    apt-get $o -qq update >"$apt/update.log" 2>&1 || { cat "$apt/update.log" >&2; exit 1; }
    log "downloading QEMU $QEMU72_DEB_VERSION source"
    # shellcheck disable=SC2086
    (cd "$top/dl" && apt-get $o -qq source --download-only "qemu=$QEMU72_DEB_VERSION") \
        >"$apt/source.log" 2>&1 || { cat "$apt/source.log" >&2; exit 1; }
    rm -rf "$top/src" "$top/build"
    dpkg-source -x --no-check "$top"/dl/qemu_*.dsc "$top/src" >"$top/extract.log" 2>&1 ||
        { cat "$top/extract.log" >&2; exit 1; }
    mkdir -p "$top/build"
    log "configuring ($CONFIGURE)"
    # shellcheck disable=SC2086
    (cd "$top/build" && "$top/src/configure" $CONFIGURE >configure.log 2>&1) ||
        { tail -n 40 "$top/build/configure.log" >&2; exit 1; }
    log "building qemu-system-x86_64 (about 10 minutes on 2 cores)"
    ninja -C "$top/build" qemu-system-x86_64 >"$top/build/ninja.log" 2>&1 ||
        { tail -n 40 "$top/build/ninja.log" >&2; exit 1; }
fi
mkdir -p "$OUT"
ln -sf "$bin" "$OUT/qemu-system-x86_64"
log "$OUT/qemu-system-x86_64 -> $bin"
