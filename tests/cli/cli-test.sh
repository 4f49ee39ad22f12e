#!/bin/sh
# CLI tests for `vtd`: output, JSON validity, exit statuses and every error
# path.  Prints TAP.  Usage: cli-test.sh PATH/TO/vtd
set -u
VTD=${1:?usage: cli-test.sh VTD}
. "$(dirname "$0")/tap-lib.sh"

# ---- top level
run 0 "vtd --help" -- --help
expect out "caps" "help lists caps"
expect out "baseline" "help lists baseline"
run 0 "vtd --version" -- --version
expect out "^vtd \(libvtd\) [0-9]+\.[0-9]+\.[0-9]+$" "version line"
run 2 "no arguments" --
run 2 "unknown command" -- frobnicate
expect err "no such command 'frobnicate'" "names the unknown command"
run 2 "unknown top-level option" -- --frob
expect err "unknown option '--frob'" "names the unknown option"
run 0 "help caps" -- help caps
expect out "Usage: vtd caps" "help caps shows usage"
run 2 "help unknown" -- help nope
run 0 "caps --help" -- caps --help

# ---- caps
run 0 "caps defaults" -- caps
expect out "^CAP   0x80d2008c222f0606" "default CAP"
expect out "^ECAP  0x0000000000f00f5a" "default ECAP"
run 0 "caps x-flts" -- caps --config x-scalable-mode=on,x-flts=on
expect out "^  FSTS +47 +0x1 " "FSTS set"
expect out "^  FS1GP +56 +0x1 " "FS1GP set"
expect out "^  SSTS +46 +0 " "SSTS clear"
run 0 "caps --json" -- caps --json --config x-scalable-mode=on,x-flts=on,caching-mode=on
json_ok "caps JSON parses"
json_eq "j['cap']" "0x81d2008c222f0686" "JSON cap hex string"
json_eq "j['ecap']" "0x880000f00f5a" "JSON ecap hex string"
json_eq "j['ecap_fields']['FSTS'], j['ecap_fields']['SSTS'], j['cap_fields']['FS1GP']" "1 0 1" "JSON decoded fields"
run 2 "caps x-flts without scalable mode" -- caps --config x-flts=on
expect err "x-flts is only available in scalable mode" "names the missing x-scalable-mode"
expect err "x-scalable-mode" "mentions x-scalable-mode"
run 2 "caps x-pi without interrupt remapping" -- caps --config x-pi=on,intremap=off
expect err "x-pi=on: posted interrupts need interrupt remapping \(intremap=on\)" "names x-pi and intremap"
run 0 "caps x-pi" -- caps --config x-pi=on
expect out "^  PI +59 +0x1 " "CAP.PI set"
run 2 "caps unknown property" -- caps --config flts=on
expect err "unknown property 'flts' \(did you mean 'x-flts'\?\)" "suggests x-flts"
run 2 "caps bad value" -- caps --config aw-bits=52
expect err "aw-bits=52" "names aw-bits and the value"
run 2 "caps several problems" -- caps --config pt=maybe,bogus=1
expect err "pt: invalid value 'maybe'" "first problem"
expect err "unknown property 'bogus'" "second problem"
run 2 "caps unknown option" -- caps --frob
expect err "unknown option '--frob'" "caps names the option"
run 2 "caps missing value" -- caps --config
expect err "needs a value" "caps --config without value"
run 2 "caps stray argument" -- caps extra
expect err "unexpected argument 'extra'" "caps names the stray argument"

# ---- decode
run 0 "decode sysfs value without 0x" -- decode --cap d2008c40660462 --ecap f050da
expect out "MGAW +21:16 +0x26 .*39-bit" "decodes MGAW"
expect out "reserved bits set: none" "no reserved bits"
run 0 "decode flags reserved bits" -- decode --ecap 0x3fef9ea6f0efdf
expect out "reserved bits set: 0x0004000000000000" "bit 50 flagged"
run 0 "decode --json" -- decode --json --cap 0x19ed008c40780c66
json_ok "decode JSON parses"
json_eq "j['cap_fields']['FS5LP'], 'ecap' in j" "1 False" "JSON only what was given"
run 2 "decode nothing" -- decode
run 2 "decode bad hex" -- decode --cap 0xzz
expect err "--cap: '0xzz' is not a 64-bit hexadecimal value" "names the bad value"
run 2 "decode too long" -- decode --ecap 11112222333344445
run 2 "decode empty" -- decode --cap ""

# ---- check
FLTS=x-scalable-mode=on,x-flts=on,caching-mode=on
run 0 "check compatible profile" -- check --config $FLTS --profile gnr-main
expect out "^compatible$" "verdict line"
expect out "warning errata-772415" "erratum warning"
run 1 "check incompatible profile" -- check --config $FLTS --profile mtl-main
expect out "host IOMMU is incompatible with guest stage-1 translation" "summary line"
expect out "NEST=0" "names the NEST bit"
run 1 "check all profiles" -- check --config $FLTS --profile all
rows=$(grep -Ec "^[a-z0-9-]+ +(compatible|incompatible) " "$T/out")
if [ "$rows" -eq 30 ]; then ok "one row per profile (30)"; else echo "# $rows rows" >"$T/err"; : >"$T/out"; notok "one row per profile"; fi
expect out "^30 hosts, 3 compatible, 27 incompatible$" "table totals"
run 1 "check all --json" -- check --json --config $FLTS --profile all
json_ok "check JSON parses"
json_eq "len(j['hosts']), j['compatible'], j['summary']" "30 False host IOMMU is incompatible with guest stage-1 translation" "JSON hosts and summary"
json_eq "[f['name'] for f in j['hosts'][0]['findings'] if f['severity']=='error']" "['nesting', 'fs1gp']" "JSON findings of hsw-ep-main"
run 1 "check manual registers, legacy backend" -- check --config $FLTS --cap 0x19ed008c40780c66 --ecap 0x3ee9e86f050df --backend legacy
expect out "Need IOMMUFD backend when x-flts=on" "backend message"
run 1 "check non-VT-d type" -- check --config $FLTS --cap 0 --ecap 0 --type 2
expect out "Incompatible host platform IOMMU type 2" "type message"
run 1 "check behind bridge" -- check --config $FLTS --profile gnr-main --behind-bridge
expect out "Host device downstream to a PCI bridge is unsupported when x-flts=on" "bridge message"
run 1 "check caching-mode off" -- check --profile gnr-main
expect out "caching-mode=on" "caching-mode message"
run 1 "check fs1gp" -- check --config $FLTS --cap 0x8ed008c40780466 --ecap 0x3ee9e86f050df --no-errata
expect out "Stage-1 1GB large page is unsupported by host IOMMU" "fs1gp message"
reject out "errata" "--no-errata drops the warning"
run 1 "check fs5lp on a 4-level host" -- check --config $FLTS,x-fs5lp=on --profile spr-4lvl-main
expect out "Stage-1 5-level paging is unsupported by host IOMMU \(host CAP.FS5LP=0\)" "fs5lp message"
run 0 "check fs5lp on a 5-level host" -- check --config $FLTS,x-fs5lp=on --profile gnr-main
expect out "^compatible" "5-level first stage kept by Granite Rapids"
run 2 "check fs5lp without a first stage" -- check --config x-fs5lp=on --profile gnr-main
expect err "x-fs5lp=on: 5-level paging is for the first stage" "fs5lp needs a first stage"
run 1 "check pasid bits" -- check --config $FLTS,x-pasid-mode=on --profile gnr-main --pasid-bits 4
expect out "PASID bits size 8 > host IOMMU PASID bits size 4" "pasid width message"
run 2 "check without a source" -- check --config $FLTS
expect err "give a host source" "asks for a source"
run 2 "check two sources" -- check --profile gnr-main --cap 1 --ecap 1
expect err "only one host source" "refuses two sources"
run 2 "check unknown profile" -- check --profile spr-mian
expect err "no host profile 'spr-mian' \(did you mean 'spr-main'" "suggests a profile"
run 2 "check cap without ecap" -- check --cap 0x1
expect err "--cap and --ecap go together" "cap needs ecap"
run 2 "check bad backend" -- check --profile gnr-main --backend vfio
expect err "--backend: 'vfio' is not iommufd or legacy" "names the backend"
run 2 "check bad type" -- check --cap 1 --ecap 1 --type x
run 2 "check type without cap" -- check --profile gnr-main --type 1
run 2 "check bad pasid bits" -- check --profile gnr-main --pasid-bits 21
run 2 "check bad config" -- check --config x-flts=on --profile gnr-main
run 2 "check missing device" -- check --config $FLTS --device "$T/nope/vfio0"
expect err "(/dev/iommu|does not exist)" "explains the missing device or iommufd"
run 2 "check probe with nothing" -- check --probe --root "$T/empty"
expect err "no IOMMU is visible" "probe explains"

# fake machine: one nesting-capable unit, /dev/iommu, VFIO cdev
R=$T/machine
mkdir -p "$R/sys/class/iommu/dmar0/intel-iommu" "$R/dev/vfio/devices"
: >"$R/dev/iommu"
echo f9ed008cee780c66 >"$R/sys/class/iommu/dmar0/intel-iommu/cap"
echo 3fef9ea6f0efdf >"$R/sys/class/iommu/dmar0/intel-iommu/ecap"
echo 7:0 >"$R/sys/class/iommu/dmar0/intel-iommu/version"
run 0 "check probe of a capable machine" -- check --config $FLTS --probe --root "$R"
expect out "^host:  dmar0 " "probe names the unit"

# ---- host
run 0 "host list" -- host list
expect out "^gnr-main .*can nest$" "gnr can nest"
expect out "^30 profiles" "host list count"
run 0 "host list --json" -- host list --json
json_ok "host list JSON parses"
json_eq "len(j)" "30" "30 profiles in JSON"
run 0 "host show" -- host show spr-main
expect out "^source +https://" "show gives the source"
expect out "^  NEST +26 +0x1 " "show decodes NEST"
run 0 "host show --json" -- host --json show spr-main
json_ok "host show JSON parses"
run 2 "host show unknown" -- host show nope
run 2 "host show without name" -- host show
run 2 "host without action" -- host
run 2 "host bad action" -- host frob
run 0 "host probe capable machine" -- host probe --root "$R"
expect out "^ready:" "probe says ready"
# the iommufd view: one entry per VFIO cdev, in natural order; these fake
# cdevs cannot be bound, so each says why (and the probe does not fail)
: >"$R/dev/vfio/devices/vfio10"
: >"$R/dev/vfio/devices/vfio2"
run 0 "host probe iommufd view" -- host probe --json --root "$R"
json_ok "probe iommufd JSON parses"
json_eq "[d['device'].rsplit('/',1)[1] for d in j['iommufd']]" "['vfio2', 'vfio10']" "one iommufd entry per cdev, natural order"
json_eq "all(('error' in d) != ('cap' in d) for d in j['iommufd'])" "True" "each cdev has a view or a reason"
run 0 "host probe iommufd view, text" -- host probe --root "$R"
expect out "vfio2 iommufd: " "text names the cdev"
rm -f "$R/dev/vfio/devices/vfio10" "$R/dev/vfio/devices/vfio2"
run 1 "host probe empty machine" -- host probe --root "$T/empty"
expect out "missing: no VT-d unit" "probe names missing VT-d"
expect out "missing: no /dev/iommu" "probe names missing iommufd"
rm -rf "$R/dev/vfio/devices"
run 1 "host probe without VFIO cdev" -- host probe --json --root "$R"
json_ok "probe JSON parses"
json_eq "j['dev_iommu'], j['vfio_cdev'], len(j['units'])" "True False 1" "probe JSON facts"

# ---- baseline
run 0 "baseline of a server pool" -- baseline --profile spr-main,gnr-main,spr-4lvl-main
expect out "x-pasid-mode=off: spr-main: " "why pasid was dropped"
expect out "^baseline: caching-mode=on,x-scalable-mode=on,x-flts=on$" "baseline config"
run 0 "baseline --json" -- baseline --json --profile all
json_ok "baseline JSON parses"
json_eq "j['ok'], j['config']" "True aw-bits=39,caching-mode=on,x-scalable-mode=on,x-pasid-mode=on" "baseline of every profile"
run 2 "baseline without pool" -- baseline
run 2 "baseline bad profile" -- baseline --profile gnr-main,nope
run 2 "baseline bad start" -- baseline --profile gnr-main --config x-flts=on


# ---- replay
printf 'writel 0xfed90018 0x40000000\nreadl 0xfed9001c\n' >"$T/s1.vtd"
run 0 "replay a script" -- replay "$T/s1.vtd"
expect out "^OK 0x40000000$" "replay GSTS after SRTP"
printf 'readq 0xfed90008 # CAP\n' | "$VTD" replay --config x-scalable-mode=on,x-flts=on - >"$T/out" 2>"$T/err"
expect out "^OK 0x81d2008c222f0606$" "replay from stdin with --config"
printf 'readl 0x100\nbogus 1 2\nreadl 0x0\n' >"$T/s2.vtd"
run 2 "replay unknown command" -- replay "$T/s2.vtd"
expect err "s2.vtd:2: unknown command 'bogus'" "names file and line"
reject out "^OK 0x5$" "stops at the bad line"
printf 'writel 0x10000000 1\n' >"$T/s3.vtd"
run 2 "replay outside RAM" -- replay --mem-size 1M "$T/s3.vtd"
expect err "outside guest RAM" "RAM bound"
printf 'writel 0xfed90018 0x1ffffffff\n' >"$T/s4.vtd"
run 2 "replay value too wide" -- replay "$T/s4.vtd"
printf 'writel 0xfed90019 1\n' >"$T/s5.vtd"
run 2 "replay unaligned register" -- replay "$T/s5.vtd"
expect err "unaligned register access" "unaligned access named"
printf 'write 0x1000 4 0x0102\n' >"$T/s6.vtd"
run 2 "replay short data" -- replay "$T/s6.vtd"
expect err "exactly 4 bytes" "data length named"
printf 'dma 00:03.0 0x0 0 r\n' >"$T/s7.vtd"
run 2 "replay zero-length dma" -- replay "$T/s7.vtd"
printf 'dma 00:03.0 0x0 4 x\n' >"$T/s8.vtd"
run 2 "replay bad access" -- replay "$T/s8.vtd"
expect err "access must be r or w, not 'x'" "dma names the bad access"
printf 'translate 00:03.0 0x0 rx\n' >"$T/s8b.vtd"
run 2 "replay translate bad access" -- replay "$T/s8b.vtd"
expect err "access must be r, w or x, not 'rx'" "translate names the bad access"
printf 'translate 1:2:3 0 r\n' >"$T/s9.vtd"
run 2 "replay bad device" -- replay "$T/s9.vtd"
printf 'translate 00:03.0 0 r pasid=0x100000\n' >"$T/s10.vtd"
run 2 "replay bad pasid" -- replay "$T/s10.vtd"
python3 -c "print('readl ' + '0'*9000)" >"$T/s11.vtd"
run 2 "replay overlong line" -- replay "$T/s11.vtd"
expect err "longer than" "overlong line named"
printf 'prq 00:03.0 0x1000 r group=512\n' >"$T/s13.vtd"
run 2 "replay prq group out of range" -- replay "$T/s13.vtd"
expect err "group '512'" "bad group named"
printf 'prq 00:03.0 0x1000 r\n' >"$T/s14.vtd"
run 2 "replay prq without group" -- replay "$T/s14.vtd"
printf 'prq 00:03.0 0x1000 x group=1\n' >"$T/s15.vtd"
run 2 "replay prq bad access" -- replay "$T/s15.vtd"
printf 'ats 00:03.0 0x10 bogus\n' >"$T/s16.vtd"
run 2 "replay ats unknown option" -- replay "$T/s16.vtd"
expect err "unexpected argument 'bogus'" "ats option named"
printf 'ats 00:03.0 0x10\nprq 00:03.0 0x1000 r group=1 last\n' >"$T/s17.vtd"
run 0 "replay ats/prq without the features" -- replay "$T/s17.vtd"
expect out "^UR$" "ats without device-iotlb: UR"
expect out "^REFUSED" "prq without svm: refused"
run 2 "replay missing script" -- replay "$T/nope.vtd"
run 2 "replay no script" -- replay
run 2 "replay bad mem size" -- replay --mem-size 12Q -
run 2 "replay bad base" -- replay --base 0x123 -
printf 'dma 00:03.0 0x1000 8 r\ntranslate 00:03.0 0x1000 w\n' >"$T/s12.vtd"
run 0 "replay DMA with translation off" -- replay "$T/s12.vtd"
expect out "^OK 0x0000000000000000$" "identity DMA read"
expect out "^OK 0x1000 rw 0x1000$" "identity translate"

# ---- translate (a raw memory image with legacy tables)
python3 - "$T/mem.img" <<'PY'
import struct, sys
img = bytearray(0x200000)
def q(a, v): img[a:a+8] = struct.pack('<Q', v)
q(0x10000, 0x11001)            # root bus 0
q(0x11180, 0x12001); q(0x11188, 0x102)   # 00:03.0, AW=2, DID 1
q(0x12000, 0x13003); q(0x13000, 0x14003); q(0x14000, 0x15003)
q(0x15000, 0x100003); q(0x15008, 0x101001)
open(sys.argv[1], 'wb').write(img)
PY
cp "$T/mem.img" "$T/mem.orig"
run 0 "translate against an image" -- translate --mem "$T/mem.img" --rtaddr 0x10000 --sid 00:03.0 --iova 0x1234
expect out "^OK 0x101234 r- 0x1000$" "translated address"
run 0 "translate --explain" -- translate --mem "$T/mem.img" --rtaddr 0x10000 --sid 00:03.0 --iova 0x10 --explain
expect out "^root entry +@0x000010000: 0000000000011001" "explain shows the root entry"
expect out "TT=0 AW=2 \(4-level\) DID=1" "explain decodes the context entry"
expect out "^SS L1 entry" "explain shows the leaf"
run 0 "translate --exec (legacy: no PASID, a read)" -- translate --mem "$T/mem.img" --rtaddr 0x10000 --sid 00:03.0 --iova 0x1234 --exec
expect out "^OK 0x101234 r- 0x1000$" "an execute request reads"
run 1 "translate a fault" -- translate --mem "$T/mem.img" --rtaddr 0x10000 --sid 00:03.0 --iova 0x1000 --write
expect out "^FAULT 0x05 LGN.2: write to a page without write permission$" "fault line"
run 1 "translate --json fault" -- translate --json --mem "$T/mem.img" --rtaddr 0x10000 --sid 00:04.0 --iova 0
json_ok "translate JSON parses"
json_eq "j['status'], j['fault'], j['fault_name'], len(j['steps'])" "fault 0x02 LCT.2 4" "JSON fault and steps"
if cmp -s "$T/mem.img" "$T/mem.orig"; then ok "the image is never modified"; else notok "the image is never modified"; fi
run 2 "translate missing options" -- translate --mem "$T/mem.img"
expect err "are required" "names the required options"
run 2 "translate missing image" -- translate --mem "$T/none" --rtaddr 0 --sid 0 --iova 0
run 2 "translate empty image" -- translate --mem /dev/null --rtaddr 0 --sid 0 --iova 0
run 2 "translate bad sid" -- translate --mem "$T/mem.img" --rtaddr 0 --sid zz --iova 0
run 2 "translate bad pasid" -- translate --mem "$T/mem.img" --rtaddr 0 --sid 0 --iova 0 --pasid 2000000


# ---- save / load (migration): the same script split anywhere gives the
# same responses (counters excepted: they belong to the instance).  Caches
# are not migrated, so a cut between a guest's table edit and its
# invalidation shows the new entry early (checked separately below).
D=$(dirname "$0")/../replay
for cut in 12 20 31 45; do
    for f in caches-invalidation interrupt-remapping; do
        [ "$f/$cut" = interrupt-remapping/20 ] && continue
        s="$D/$f.vtd"
        "$VTD" replay "$s" | grep -v "^OK iotlb" >"$T/whole"
        head -n $cut "$s" >"$T/p1.vtd"; echo "save $T/st" >>"$T/p1.vtd"
        (echo "load $T/st"; tail -n +$((cut + 1)) "$s") >"$T/p2.vtd"
        { "$VTD" replay "$T/p1.vtd" | sed '$d'; "$VTD" replay "$T/p2.vtd" | sed '1d'; } | grep -v "^OK iotlb" >"$T/split"
        if cmp -s "$T/whole" "$T/split"; then ok "save/load at line $cut of $f"; else
            diff "$T/whole" "$T/split" | head >"$T/err"; : >"$T/out"; notok "save/load at line $cut of $f"; fi
    done
done
s="$D/interrupt-remapping.vtd"
head -n 20 "$s" >"$T/p1.vtd"; echo "save $T/st" >>"$T/p1.vtd"
(echo "load $T/st"; tail -n +21 "$s") >"$T/p2.vtd"
"$VTD" replay "$T/p1.vtd" >/dev/null
run 0 "load inside a stale window" -- replay "$T/p2.vtd"
expect out "^OK 0xfee05000 0x4022$" "the destination reads the new IRTE (no stale cache migrated)"
printf 'writel 0xfed90018 0x40000000\nsave %s\n' "$T/st2" >"$T/s.vtd"
run 0 "save" -- replay "$T/s.vtd"
python3 -c "
import sys; b=bytearray(open(sys.argv[1],'rb').read()); b[-5]^=0xff; open(sys.argv[2],'wb').write(b)" "$T/st2" "$T/bad"
printf 'load %s\nreadl 0xfed9001c\n' "$T/bad" >"$T/l.vtd"
run 2 "load of a corrupted state" -- replay "$T/l.vtd"
expect err "corrupted \(CRC mismatch\)" "names the corruption"
reject out "^OK 0x" "stops at the failed load"
head -c 100 "$T/st2" >"$T/short"
printf 'load %s\n' "$T/short" >"$T/l2.vtd"
run 2 "load of a truncated file" -- replay "$T/l2.vtd"
printf 'load %s\n' "$T/st2" >"$T/l3.vtd"
run 2 "load into another configuration" -- replay --config caching-mode=on "$T/l3.vtd"
expect err "saved with another configuration" "names the configuration mismatch"
run 0 "load into the same configuration" -- replay "$T/l3.vtd"
printf 'writel 0xfed90018 0x02000000\nsave %s\n' "$T/st3" >"$T/s3.vtd"
run 0 "save with x-pi" -- replay --config x-pi=on "$T/s3.vtd"
printf 'load %s\nreadl 0xfed9001c\n' "$T/st3" >"$T/l5.vtd"
run 0 "load an x-pi state into x-pi" -- replay --config x-pi=on "$T/l5.vtd"
expect out "^OK 0x2000000$" "IRES restored"
run 2 "load an x-pi state without x-pi" -- replay "$T/l5.vtd"
expect err "saved with another configuration" "names the x-pi mismatch"
printf 'load %s/nope\n' "$T" >"$T/l4.vtd"
run 2 "load of a missing file" -- replay "$T/l4.vtd"

# ---- demo
run 0 "demo" -- demo
expect out "30 hosts, 3 compatible, 27 incompatible" "demo table"

# ---- bench: every scenario once, briefly, so none can rot (no timing
# is asserted: benchmarks are not tests)
run 0 "bench lists scenarios" -- bench --list
nsc=$(wc -l <"$T/out")
run 0 "bench runs every scenario once" -- bench --runs 1 --seconds 0.01 --threads 2 --json
json_ok "bench JSON parses"
json_eq "len(j['scenarios'])" "$nsc" "bench ran every listed scenario"
json_eq "[s['name'] for s in j['scenarios'] if not s['ok']]" "[]" "no scenario failed"
json_eq "[(s['name'], s['unit'], s['median'] > 0) for s in j['scenarios'] if 'unit' in s]" \
    "[('ref-scaling', 'x', True), ('iotlb-scaling', 'x', True)]" "bench: scaling scenarios are ratios"
json_eq "all(s['median_ns'] > 0 for s in j['scenarios'] if 'unit' not in s)" "True" \
    "bench: every other scenario is a positive time"
json_eq "[s['name'] for s in j['scenarios'] if ('reference' in s) != (s.get('ratio', 0) > 0)]" "[]" \
    "bench: every scenario with a reference has its paired ratio, and no other"
run 2 "bench unknown scenario" -- bench nope
expect err "no scenario 'nope'" "unknown scenario named"
run 2 "bench bad threads" -- bench --threads 0
run 0 "bench in 3 processes" -- bench --processes 3 --runs 1 --seconds 0.03 --json iotlb-hit
json_eq "[(s['name'], s['ok'], s['min_ns'] <= s['median_ns'] <= s['max_ns'], s['median_over_min'] >= 1) for s in j['scenarios']]" \
    "[('ref-hash', True, True, True), ('iotlb-hit', True, True, True)]" \
    "bench --processes: a scenario and its reference, median within the spread over processes"
json_eq "[(s['reference'], s['ratio_min'] <= s['ratio'] <= s['ratio_max'], s['ratio_median_over_min'] >= 1) for s in j['scenarios'] if 'ratio' in s]" \
    "[('ref-hash', True, True)]" "bench --processes: the paired ratio to the reference, within its spread"
run 2 "bench bad processes" -- bench --processes 0
expect err "--processes: '0' is not 1 to 101" "bad process count named"

# ---- vtd-contention (beside vtd in the build; not installed)
VTD_MAIN=$VTD
VTD=$(dirname "$VTD_MAIN")/vtd-contention
run 0 "vtd-contention one round" -- 1
expect out "^round +hit +hit1 +hash +hashL1 +hot4 +alu" "vtd-contention header"
expect out "^ +1( +[0-9]+\.[0-9]{2}){6}$" "vtd-contention: six figures in its round"
for bad in 0 10001 5x -1 ''; do
    run 2 "vtd-contention ROUNDS '$bad'" -- "$bad"
    expect err "ROUNDS '$bad' is not 1 to 10000" "vtd-contention names the bad ROUNDS '$bad'"
done
run 2 "vtd-contention two arguments" -- 1 2
expect err "usage: vtd-contention \[ROUNDS\]" "vtd-contention usage"
VTD=$VTD_MAIN

echo "1..$n"
[ "$fails" -eq 0 ]
