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
pkg-config:pkg-config
python3:python3
/usr/include/cmocka.h:libcmocka-dev
"
# Optional extras used by some tests when present (clang for fuzz targets,
# kernel uAPI headers for the ABI cross-check); never fatal.
OPTIONAL="
clang:clang
/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a:libclang-rt-14-dev
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
required="$missing"
want "$OPTIONAL"

[ -z "$missing" ] && exit 0

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

echo "bootstrap: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null || true
if ! $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null; then
    # Optional packages may not exist on every release; retry with the required ones.
    if [ -n "$required" ]; then
        $SUDO apt-get install -y -qq --no-install-recommends $required >/dev/null
    fi
fi
