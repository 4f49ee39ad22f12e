#!/bin/sh
# The library as a VMM gets it: install into a temporary root, build an
# example out of tree with pkg-config only, run it.  TAP.
#   consumer-test.sh BUILD-DIR SOURCE-DIR
set -u
B=$1; S=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
n=0; fails=0
step() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi; }

meson install -C "$B" --destdir "$T/root" --no-rebuild --quiet >"$T/log" 2>&1
step $? "install into a temporary root"
pc=$(find "$T/root" -name libvtd.pc | head -n 1)
[ -n "$pc" ]; step $? "libvtd.pc installed"
prefix=$(sed -n 's/^prefix=//p' "$pc")
flags=$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --define-variable=prefix="$T/root$prefix" \
        --cflags --libs libvtd 2>>"$T/log")
step $? "pkg-config --cflags --libs libvtd"
cc -std=c11 -Wall -Werror -o "$T/device_model" "$S/examples/device_model.c" $flags >>"$T/log" 2>&1
step $? "build examples/device_model.c against the installed headers and library"
libdir=$(dirname "$(find "$T/root" -name 'libvtd.so.0' | head -n 1)")
LD_LIBRARY_PATH=$libdir "$T/device_model" >"$T/out" 2>&1
step $? "run it"
grep -q "guest physical 0x200000" "$T/out"; step $? "it translated"
for h in vtd.h common.h config.h caps.h iommu.h host.h acpi.h; do
    [ -f "$(dirname "$(find "$T/root" -path '*include/vtd/vtd.h')")/$h" ]; step $? "header vtd/$h installed"
done
[ -n "$(find "$T/root" -name vtd_iommu_translate.3)" ]; step $? "per-call man pages installed"
[ -n "$(find "$T/root" -name vtd_acpi_dmar.3)" ]; step $? "vtd_acpi_dmar(3) installed"
[ -n "$(find "$T/root" -name vtd.1)" ]; step $? "vtd(1) installed"
# The build tree as a VMM's build uses it before anything is installed:
# only PKG_CONFIG_PATH=BUILD/meson-uninstalled
uflags=$(PKG_CONFIG_PATH="$B/meson-uninstalled" pkg-config --cflags --libs libvtd 2>>"$T/log")
step $? "pkg-config --cflags --libs libvtd (uninstalled)"
case " $uflags " in *" -I$S/include "*) r=0 ;; *) r=1; echo "uninstalled cflags: $uflags" >>"$T/log" ;; esac
step $r "the uninstalled .pc names the source include directory"
cat >"$T/use.c" <<'EOF'
#include <vtd/vtd.h>
#include <stdio.h>
int main(void)
{
	unsigned char t[128];
	long n = vtd_acpi_dmar(NULL, NULL, t, sizeof(t));
	printf("%s DMAR %ld\n", vtd_version(), n);
	return n == 72 && t[0] == 'D' ? 0 : 1;
}
EOF
cc -std=c11 -Wall -Werror -o "$T/use" "$T/use.c" $uflags >>"$T/log" 2>&1
step $? "build a program including <vtd/vtd.h> against the build tree"
LD_LIBRARY_PATH="$B/src" "$T/use" >>"$T/out" 2>&1
step $? "run it against the build tree's library"
cc -std=c11 -Wall -Werror -o "$T/device_model_u" "$S/examples/device_model.c" $uflags >>"$T/log" 2>&1
step $? "build examples/device_model.c against the build tree"
if [ $fails -ne 0 ]; then sed 's/^/# /' "$T/log" "$T/out" 2>/dev/null | head -30; fi
echo "1..$n"
[ $fails -eq 0 ]
