#!/bin/sh
# Install what building and testing libvtd needs, and nothing else.
# Idempotent and quiet when everything is present; runs apt-get non-interactively
# only for what is missing, so `make run` / `make test` work on a fresh Debian.
set -eu

# command-or-file : Debian package that provides it
NEEDS="
meson:meson
ninja:ninja-build
cc:gcc
/usr/include/stdio.h:libc6-dev
pkg-config:pkg-config
python3:python3
/usr/include/cmocka.h:libcmocka-dev
abidiff:abigail-tools
"
# Optional extras used by some tests when present (clang for fuzz targets,
# kernel uAPI headers for the ABI cross-check); never fatal.
OPTIONAL="
clang:clang
/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a:libclang-rt-14-dev
iasl:acpica-tools
qemu-system-x86_64:qemu-system-x86
"
# The real-kernel integration test (`make test` and `make vm-test` run
# `bootstrap.sh --vm`): a guest kernel built from Debian's source (make,
# flex, bison, bc, libelf for objtool, xz for the source and the compressed
# kernel; no libssl: nothing in tests/vm/kernel.config signs modules or
# keys), QEMU, the static libc for vtd and iommufd-e2e, and a static busybox
# for the initramfs.  Not installed for `make run` / `make check`.
VM_NEEDS="
qemu-system-x86_64:qemu-system-x86
/usr/src/linux-source-6.12.tar.xz:linux-source-6.12
make:make
flex:flex
bison:bison
bc:bc
/usr/include/libelf.h:libelf-dev
/usr/lib/x86_64-linux-gnu/libc.a:libc6-dev
xz:xz-utils
cpio:cpio
file:file
"
# QEMU 10.0 with -device libvtd-iommu (`make qemu`, `make qemu-test`, and
# `make test`: `bootstrap.sh --qemu`): what QEMU's configure and build need
# (glib, pixman, zlib, flex/bison, python3-venv for its pyvenv; meson >= 1.5
# and the source come from integrations/qemu/build.sh's private apt lists),
# and the firmware the guests boot with (SeaBIOS, linuxboot_dma.bin from
# qemu-system-data).
QEMU_NEEDS="
/usr/include/glib-2.0/glib.h:libglib2.0-dev
/usr/include/pixman-1/pixman.h:libpixman-1-dev
/usr/include/zlib.h:zlib1g-dev
flex:flex
bison:bison
/usr/lib/python3.11/venv/__init__.py:python3-venv
/usr/share/seabios/bios-256k.bin:seabios
/usr/share/qemu/linuxboot_dma.bin:qemu-system-data
dpkg-deb:dpkg
xz:xz-utils
"
# AFL++ for `make fuzz-afl` (`bootstrap.sh --afl`): afl-fuzz, afl-clang-fast
# and the libFuzzer-compatible driver libAFLDriver.a.  Not installed otherwise.
AFL_NEEDS="
afl-fuzz:afl++
clang:clang
"

missing=""
want() {
    for pair in $1; do
        what=${pair%%:*}
        pkg=${pair#*:}
        case $what in
        /*) [ -e "$what" ] && continue ;;
        *) command -v "$what" >/dev/null 2>&1 && continue ;;
        esac
        missing="$missing $pkg"
    done
}
want "$NEEDS"
if [ "${1:-}" = --afl ]; then
    want "$AFL_NEEDS"
fi
for opt in "$@"; do
    [ "$opt" = --qemu ] && want "$QEMU_NEEDS"
done
if [ "${1:-}" = --vm ]; then
    want "$VM_NEEDS"
    dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed' ||
        missing="$missing busybox-static"
fi
required="$missing"
want "$OPTIONAL"

# Kernel uAPI headers with iommufd.h, for the ABI cross-check test
# (tests/unit/test_uapi.c).  Debian 12 ships them in bookworm-security's
# linux-headers-6.12.*-common; the test is skipped where they cannot be had.
uapi_present() {
    ls /usr/src/linux-headers-6.1[2-9]*-common/include/uapi/linux/iommufd.h >/dev/null 2>&1
}
want_uapi=""
uapi_present || want_uapi=yes

[ -z "$missing" ] && [ -z "$want_uapi" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
        if [ -n "$required" ]; then
            echo "bootstrap: missing packages:$required (run as root or install them)" >&2
            exit 1
        fi
        exit 0
    fi
else
    SUDO=
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null 2>&1 || true
if [ -n "$missing" ]; then
    echo "bootstrap: installing:$missing" >&2
    if ! $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null; then
        # Optional packages may not exist on every release; retry with the required ones.
        if [ -n "$required" ]; then
            $SUDO apt-get install -y -qq --no-install-recommends $required >/dev/null
        fi
    fi
fi
if [ -n "$want_uapi" ]; then
    pkg=$(apt-cache search --names-only '^linux-headers-6\.1[2-9][.0-9]*\+deb[0-9]+-common$' 2>/dev/null |
          awk '{print $1}' | sort -V | tail -n 1)
    if [ -n "$pkg" ]; then
        echo "bootstrap: installing $pkg (kernel uAPI headers for the ABI test)" >&2
        $SUDO apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null 2>&1 ||
            echo "bootstrap: could not install $pkg; the ABI cross-check will be skipped" >&2
    fi
fi
