#!/bin/sh
# Build what the test guests run, from the tree as it is: a static vtd and
# libvtd.a ($OUT/vtd-static/) and iommufd-e2e ($OUT/iommufd-e2e) against
# the guest kernel's own uAPI headers.  Used by tests/vm/vm-test.sh and
# integrations/qemu/test/qemu-test.sh.
# usage: guest-tools.sh OUT KERNEL_IMAGE   (errors on stderr, exit 1)
set -eu
OUT=$1 kernel=$2
static="$OUT/vtd-static"
if [ ! -f "$static/build.ninja" ]; then
    rm -rf "$static"
    meson setup "$static" -Ddefault_library=static -Dc_link_args=-static -Dtests=false \
        -Dbuildtype=release >"$OUT/vtd-static-setup.log" 2>&1 ||
        { cat "$OUT/vtd-static-setup.log" >&2; echo "meson setup of the static vtd failed" >&2; exit 1; }
fi
ninja -C "$static" tools/vtd/vtd src/libvtd.a >"$OUT/vtd-static-build.log" 2>&1 ||
    { cat "$OUT/vtd-static-build.log" >&2; echo "building the static vtd failed" >&2; exit 1; }
# the guest kernel's iommufd.h and vfio.h, cached beside the kernel
uapi="$(dirname "$kernel")/uapi-${kernel##*/bzImage-}"
${CC:-cc} -std=gnu11 -O2 -Wall -Wextra -Werror -D__user= -static -I"$uapi" -Iinclude \
    tests/vm/iommufd-e2e.c "$static/src/libvtd.a" -o "$OUT/iommufd-e2e" ||
    { echo "building tests/vm/iommufd-e2e.c failed" >&2; exit 1; }
