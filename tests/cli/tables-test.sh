#!/bin/sh
# CLI tests for `vtd tables`, `vtd acpi` and the memory images `vtd
# translate` and `vtd replay --mem` read: output, JSON validity, raw and ELF
# images giving identical results, bounded walks, every error path.  Prints
# TAP.  Usage: tables-test.sh PATH/TO/vtd
set -u
VTD=${1:?usage: tables-test.sh VTD}
. "$(dirname "$0")/tap-lib.sh"
# same A B DESC: two saved outputs are identical
same() {
    if cmp -s "$T/$1" "$T/$2"; then ok "$3"; else diff "$T/$1" "$T/$2" | head -20 >"$T/err"; : >"$T/out"; notok "$3"; fi
}

# ---- guest memory: legacy tables at 0x10000, scalable-mode tables at 0x40000
python3 - "$T" <<'PY'
import struct, sys
T = sys.argv[1]
mem = bytearray(0x110000)
def q(addr, *vals):
    for i, v in enumerate(vals):
        struct.pack_into('<Q', mem, addr + 8 * i, v)
# legacy: root 0x10000 -> context table 0x11000
q(0x10000, 0x11001, 0)
def lctx(devfn, lo, hi): q(0x11000 + devfn * 16, lo, hi)
lctx(0x18, 0x12001, 0x102)    # 00:03.0 TT=0 AW=2 (4-level) DID=1 -> 0x12000
lctx(0x20, 0x12001, 0x102)    # 00:04.0 the same tables
lctx(0x28, 0x00009, 0x202)    # 00:05.0 pass-through, DID 2
lctx(0x30, 0x12011, 0x302)    # 00:06.0 reserved bit 4
lctx(0x38, 0x20001, 0x102)    # 00:07.0 DID 1 again, other tables
q(0x12000, 0x13003)
q(0x13000, 0x14003)
q(0x14000, 0x15003, 0x200083, 0x16803)   # L1 table, 2M page, non-leaf with bit 11
for i in range(4):
    q(0x15000 + 8 * i, 0x100003 + 0x1000 * i)    # 4 contiguous pages rw
q(0x15020, 0x180001, 0x181002)                   # read-only, write-only
q(0x15040, 0xfee00003)                           # into the interrupt range
q(0x20000, 0x20003)                              # a table pointing to itself
# scalable: root 0x40000 -> context table 0x41000
q(0x40000, 0x41001, 0)
def sctx(devfn, *v): q(0x41000 + (devfn & 0x7f) * 32, *v)
sctx(0x18, 0x42000 | 1 | 8, 0, 0, 0)             # 00:03.0 PASIDE, PDTS 0, RID_PASID 0
sctx(0x19, 0x42000 | 1, 0, 1, 0)                 # 00:03.1 reserved bits in q2
q(0x42000, 0x43001)
def pe(pasid, *v): q(0x43000 + 64 * pasid, *v)
pe(0, 0x12000 | 1 | 2 << 2 | 2 << 6, 5)          # second stage, DID 5
pe(1, 1 | 4 << 6, 6)                             # pass-through
pe(2, 1 | 1 << 6, 7, 0x50000 | 1)                # first stage, SRE
pe(3, 0x12000 | 1 | 2 << 2 | 3 << 6, 8, 0)       # nested, FS tables at GPA 0
pe(4, 0x12000 | 1 | 2 << 2 | 2 << 6, 9, 0, 1)    # reserved bits in q3
pe(5, 1, 10)                                     # PGTT 0
q(0x50000, 0x51007); q(0x51000, 0x52007)
q(0x52000, 0x53007, 0x400087)
q(0x53000, 0x300007, 0x301005, 0x302003)
q(0x100000, 0x1007); q(0x101000, 0x2007); q(0x102000, 0x3007)   # GPA 0.. = 0x100000..
q(0x103000, 0x0007, 0x1007)
open(T + '/m.raw', 'wb').write(mem)

def elf(path, segs, xnum=False, cut=None, cls=2, data=1, etype=4):
    """An ELF core as dump-guest-memory writes it: a PT_NOTE, then PT_LOADs."""
    n = len(segs) + 1
    shoff = 64 + 56 * n if xnum else 0
    off = 64 + 56 * n + (64 if xnum else 0)
    f = b'\x7fELF' + bytes([cls, data, 1]) + bytes(9)
    f += struct.pack('<HHIQQQIHHHHHH', etype, 62, 1, 0, 64, shoff, 0, 64, 56,
                     0xffff if xnum else n, 64 if xnum else 0, 1 if xnum else 0, 0)
    f += struct.pack('<IIQQQQQQ', 4, 0, off, 0, 0, 0, 0, 0)
    body = b''
    for paddr, b in segs:
        f += struct.pack('<IIQQQQQQ', 1, 0, off + len(body), 0, paddr, len(b), len(b), 0)
        body += b
    if xnum:
        f += struct.pack('<IIQQQQIIQQ', 0, 0, 0, 0, 0, 0, 0, n, 0, 0)
    f += body
    open(path, 'wb').write(f[:cut] if cut else f)
segs = [(0x40000, bytes(mem[0x40000:])), (0, bytes(mem[:0x11000])),
        (0x11000, bytes(mem[0x11000:0x40000]))]
elf(T + '/m.elf', segs)                              # three segments, out of order
elf(T + '/m-xnum.elf', segs, xnum=True)              # e_phnum = PN_XNUM
elf(T + '/m-hole.elf', [(0, bytes(mem[:0x15000])), (0x16000, bytes(mem[0x16000:]))])
elf(T + '/m-trunc.elf', segs, cut=64 + 56 * 4 + 100)  # data cut short
elf(T + '/m-phdr.elf', segs, cut=100)                # program headers cut short
elf(T + '/m-32.elf', segs, cls=1)
elf(T + '/m-be.elf', segs, data=2)
elf(T + '/m-exec.elf', segs, etype=2)
elf(T + '/m-noload.elf', [])
open(T + '/m-short.elf', 'wb').write(b'\x7fELF\x02\x01')
open(T + '/m-kdump', 'wb').write(b'KDUMP   ' + bytes(4088))
# every entry of the top table points to the table itself
m2 = bytearray(0x20000)
struct.pack_into('<QQ', m2, 0x10000, 0x11001, 0)
struct.pack_into('<QQ', m2, 0x11000 + 0x18 * 16, 0x12001, 0x102)
for i in range(512):
    struct.pack_into('<Q', m2, 0x12000 + 8 * i, 0x12003)
open(T + '/loop.raw', 'wb').write(m2)
PY
[ -f "$T/m.raw" ] && ok "test images built" || notok "test images built"
SM=x-scalable-mode=on,x-flts=on,x-pasid-mode=on,x-nest=on

# ---- tables, legacy mode
run 1 "tables legacy (errors flagged)" -- tables --mem "$T/m.raw" --rtaddr 0x10000 --verify
cp "$T/out" "$T/legacy.raw"
expect out "^legacy mode, root table 0x10000 \(RTADDR 0x10000\); raw image, aw-bits 48" "header line"
expect out "^bus 00: root entry @0x10000 = 0000000000011001 0000000000000000 P=1 context table 0x11000$" "root entry"
expect out "^  00:03.0: context entry @0x11180 = 0000000000012001 0000000000000102$" "context entry raw"
expect out "P=1 FPD=0 TT=0 \(second stage\) AW=2 \(4-level\) DID=1 table 0x12000" "context entry decoded"
expect out "0x000000000000-0x000000003fff -> 0x000000100000-0x000000103fff 4K x4 rw$" "contiguous pages coalesced"
expect out "0x000000004000-0x000000004fff -> 0x000000180000-0x000000180fff 4K x1 r-$" "read-only page"
expect out "0x000000005000-0x000000005fff -> 0x000000181000-0x000000181fff 4K x1 -w$" "write-only page"
expect out "0x000000200000-0x0000003fffff -> 0x000000200000-0x0000003fffff 2M x1 rw$" "2 MiB page"
expect out "ERROR: SS L2 entry 2 @0x14010 = 0x0000000000016803 \(IOVA 0x400000\): reserved bits 0x800 set \(fault 0x0c LSL.2\)" "reserved bit flagged where it is"
expect out "ERROR: SS L1 entry 8 @0x15040 maps IOVA 0x8000 to 0xfee00000, over the interrupt range" "interrupt range flagged"
expect out "the same tables as 00:03.0" "shared tables listed once"
expect out "pass-through: 0x0-0xffffffffffff -> the same addresses, rw" "pass-through device"
expect out "ERROR: reserved bits set: 0x10 in bits 63:0, 0x0 in bits 127:64 \(fault 0x0b LCT.3\)" "context reserved bits"
expect out "WARNING: DID 1 also tags a different address space \(00:03.0\)" "DID reused for other tables"
expect out "WARNING: SS L4 entry 0 @0x20000 points back to the L4 table 0x20000 \(self-referencing tables\)" "self reference noted"
expect out "^verify: 6 ranges checked against the translation model, 0 mismatches$" "every range agrees with vtd_iommu_translate"
expect out "^summary: 1 bus, 5 devices, 0 PASID entries, 7 ranges; 3 errors, 4 warnings" "summary"
run 1 "tables legacy --json" -- tables --json --mem "$T/m.raw" --rtaddr 0x10000 --verify
json_ok "legacy JSON parses"
json_eq "j['mode'], j['format'], len(j['buses']), len(j['buses'][0]['devices'])" "legacy raw 1 5" "JSON structure"
json_eq "[(r['iova'], r['addr_last'], r['pages'], r['perm']) for r in j['buses'][0]['devices'][0]['mappings'][0]['ranges'][:2]]" "[('0x0', '0x103fff', 4, 'rw'), ('0x4000', '0x180fff', 1, 'r-')]" "JSON ranges"
json_eq "j['buses'][0]['devices'][0]['mappings'][0]['errors'][1][:25]" "SS L2 entry 2 @0x14010 = " "JSON error inside the address space"
json_eq "j['buses'][0]['devices'][1]['mappings'][0]['same_as']" "00:03.0" "JSON shared space"
json_eq "j['summary']['errors'], j['summary']['verified'], j['summary']['verify_mismatches'], j['summary']['truncated']" "3 6 0 False" "JSON summary"
run 0 "tables --sid of a clean device" -- tables --mem "$T/m.raw" --rtaddr 0x10000 --sid 00:05.0
expect out "^summary: 1 bus, 1 device" "only that device"
run 0 "tables --sid of an absent device" -- tables --mem "$T/m.raw" --rtaddr 0x10000 --sid 00:09.0
expect out "00:09.0: context entry @0x11480 = 0000000000000000 0000000000000000 P=0" "absent device shown"
expect out "WARNING: not present: DMA from this device faults \(fault 0x02 LCT.2\)" "says what a DMA gets"
run 0 "tables --sid on an absent bus" -- tables --mem "$T/m.raw" --rtaddr 0x10000 --sid 05:00.0
expect out "not present: DMA from bus 05 faults \(fault 0x01 LRT.2\)" "absent bus"

# ---- tables, scalable mode
run 1 "tables scalable" -- tables --mem "$T/m.raw" --rtaddr 0x40400 --config $SM --verify
cp "$T/out" "$T/sm.raw"
expect out "^scalable mode, root table 0x40000" "scalable header"
expect out "LP=1 lower table 0x41000, UP=0" "root entry halves"
expect out "P=1 FPD=0 DTE=0 PASIDE=1 PRE=0 PDTS=0 \(128 dir entries\) RID_PASID=0 PASID dir 0x42000" "scalable context entry"
expect out "PASID dir entry 0 \(PASIDs 0-63\) @0x42000 = 0000000000043001 P=1 FPD=0 table 0x43000" "PASID directory entry"
expect out "P=1 FPD=0 PGTT=2 \(second stage\) DID=5 SS AW=2 \(4-level\) table 0x12000" "PGTT=2 entry"
expect out "SGN.8" "scalable interrupt-range fault code"
expect out "P=1 FPD=0 PGTT=4 \(pass-through\) DID=6" "PGTT=4 entry"
expect out "0x000000002000-0x000000002fff -> 0x000000302000-0x000000302fff 4K x1 rw supervisor" "first stage, supervisor page"
expect out "0x000000001000-0x000000001fff -> 0x000000301000-0x000000301fff 4K x1 r- user" "first stage, read-only user page"
expect out "first-stage \(nested: IOVA -> GPA, tables through the second stage\)" "nested first stage"
expect out "0x000000000000-0x000000001fff -> 0x000000000000-0x000000001fff 4K x2 rw user" "nested mappings"
expect out "ERROR: reserved bits set \(fault 0x5a SPT.3\)" "PASID entry reserved bits"
expect out "ERROR: PGTT=0 \(reserved\) is not offered" "bad PGTT"
expect out "ERROR: reserved bits set \(fault 0x42 SCT.3\)" "scalable context reserved bits"
expect out "^verify: 10 ranges checked against the translation model, 0 mismatches$" "scalable ranges agree with the library"
run 1 "tables scalable --json" -- tables --json --mem "$T/m.raw" --rtaddr 0x40400 --config $SM --verify
json_ok "scalable JSON parses"
json_eq "[p['pgtt'] for p in j['buses'][0]['devices'][0]['pasid_dir_entries'][0]['pasid_entries']]" "[2, 4, 1, 3, 2, 0]" "JSON PGTTs"
json_eq "[m['kind'] for m in j['buses'][0]['devices'][0]['pasid_dir_entries'][0]['pasid_entries'][3]['mappings']]" "['first-stage', 'second-stage']" "JSON nested stages"
run 0 "tables --pasid" -- tables --mem "$T/m.raw" --rtaddr 0x40400 --config $SM --sid 00:03.0 --pasid 2
expect out "^summary: 1 bus, 1 device, 1 PASID entry, 4 ranges" "one PASID"
run 0 "tables --pasid absent" -- tables --mem "$T/m.raw" --rtaddr 0x40400 --config $SM --sid 00:03.0 --pasid 9
expect out "PASID 9: entry @0x43240 = 0000000000000000 0000000000000000 0000000000000000 P=0" "absent PASID shown"
run 0 "tables --pasid beyond PDTS" -- tables --mem "$T/m.raw" --rtaddr 0x40400 --config $SM --sid 00:03.0 --pasid 0x10000
expect out "beyond the directory's 128 entries \(fault 0x46" "PASID beyond PDTS"

# ---- raw and ELF images: the same results
for img in m.elf m-xnum.elf; do
    "$VTD" tables --mem "$T/$img" --rtaddr 0x10000 --verify | sed 's/; elf image,/; raw image,/' >"$T/legacy.elf"
    same legacy.raw legacy.elf "legacy tables: $img = raw"
    "$VTD" tables --mem "$T/$img" --rtaddr 0x40400 --config $SM --verify | sed 's/; elf image,/; raw image,/' >"$T/sm.elf"
    same sm.raw sm.elf "scalable tables: $img = raw"
done
"$VTD" tables --json --mem "$T/m.elf" --rtaddr 0x10000 >"$T/out"
json_eq "j['format']" "elf" "JSON names the format"
for a in "00:03.0 0x1234" "00:03.0 0x5000 --write" "00:03.0 0x8000" "00:05.0 0xfee00000" "00:06.0 0" "00:07.0 0x10" "00:03.0 0x400000" "01:00.0 0"; do
    set -- $a
    sid=$1; iova=$2; shift 2
    "$VTD" translate --explain --mem "$T/m.raw" --rtaddr 0x10000 --sid $sid --iova $iova "$@" >"$T/x.raw" 2>&1
    "$VTD" translate --explain --mem "$T/m.elf" --rtaddr 0x10000 --sid $sid --iova $iova "$@" >"$T/x.elf" 2>&1
    same x.raw x.elf "translate $sid $iova $*: ELF = raw"
done
for p in 0 2 3; do
    "$VTD" translate --json --mem "$T/m.raw" --config $SM --rtaddr 0x40400 --sid 00:03.0 --pasid $p --iova 0x1000 >"$T/x.raw" 2>&1
    "$VTD" translate --json --mem "$T/m-xnum.elf" --config $SM --rtaddr 0x40400 --sid 00:03.0 --pasid $p --iova 0x1000 >"$T/x.elf" 2>&1
    same x.raw x.elf "translate PASID $p: ELF = raw"
done
run 0 "translate through an ELF core" -- translate --mem "$T/m.elf" --rtaddr 0x10000 --sid 00:03.0 --iova 0x1234
expect out "^OK 0x101234 rw 0x1000$" "ELF translation"

# ---- holes in an ELF core: absent memory
run 1 "tables over a hole" -- tables --mem "$T/m-hole.elf" --rtaddr 0x10000 --sid 00:03.0
expect out "ERROR: SS L1 table at 0x15000 cannot be read \(fault 0x07 LSL.1\)" "hole flagged with its fault"
expect out "2M x1 rw" "the rest still listed"
run 1 "translate over a hole" -- translate --mem "$T/m-hole.elf" --rtaddr 0x10000 --sid 00:03.0 --iova 0x1000
expect out "^FAULT 0x07 LSL.1" "the library's fault for absent memory"
run 1 "tables, root table outside the image" -- tables --mem "$T/m.raw" --rtaddr 0x200000
expect out "ERROR: root table at 0x200000 cannot be read \(fault 0x08" "unreadable root table"

# ---- bounded walks
run 1 "self-referencing tables are bounded" -- tables --mem "$T/loop.raw" --rtaddr 0x10000 --max-entries 200000
expect out "^WARNING: walk stopped after 200000 entries \(--max-entries\): the output is incomplete$" "says the walk stopped"
expect out "\(truncated\)$" "summary says truncated"
expect out "more notes not shown" "repeated notes capped"
run 1 "bounded walk --json" -- tables --json --mem "$T/loop.raw" --rtaddr 0x10000 --max-entries 3000
json_ok "truncated JSON parses"
json_eq "j['summary']['truncated'], j['summary']['entries_visited']" "True 3000" "JSON says truncated"

# ---- tables: usage and image errors
run 2 "tables without options" -- tables
expect err "--mem and --rtaddr are required" "names what is missing"
run 2 "tables bad rtaddr" -- tables --mem "$T/m.raw" --rtaddr 0xzz
run 2 "tables bad sid" -- tables --mem "$T/m.raw" --rtaddr 0 --sid 1:2:3
run 2 "tables bad pasid" -- tables --mem "$T/m.raw" --rtaddr 0x400 --config $SM --pasid 0x100000
run 2 "tables bad max-entries" -- tables --mem "$T/m.raw" --rtaddr 0 --max-entries 0
run 2 "tables unknown option" -- tables --frob
expect err "unknown option '--frob'" "names the option"
run 2 "tables stray argument" -- tables --mem "$T/m.raw" --rtaddr 0 extra
run 2 "tables scalable RTADDR without scalable mode" -- tables --mem "$T/m.raw" --rtaddr 0x40400
expect err "add --config x-scalable-mode=on" "says how to fix it"
run 2 "tables --pasid in legacy mode" -- tables --mem "$T/m.raw" --rtaddr 0x10000 --pasid 1
run 2 "tables bad config" -- tables --mem "$T/m.raw" --rtaddr 0 --config aw-bits=52
run 1 "tables reserved TTM" -- tables --mem "$T/m.raw" --rtaddr 0x10800
expect out "RTADDR.TTM=2 is reserved \(fault 0x30" "reserved TTM flagged"
run 2 "tables missing image" -- tables --mem "$T/none" --rtaddr 0
expect err "cannot open" "names the problem"
run 2 "tables empty image" -- tables --mem /dev/null --rtaddr 0
expect err "not a non-empty regular file" "empty image"
run 2 "truncated ELF data" -- tables --mem "$T/m-trunc.elf" --rtaddr 0
expect err "truncated ELF core: a PT_LOAD segment extends beyond the end of the file" "truncated data"
run 2 "truncated ELF program headers" -- tables --mem "$T/m-phdr.elf" --rtaddr 0
expect err "truncated ELF program headers" "truncated headers"
run 2 "truncated ELF header" -- tables --mem "$T/m-short.elf" --rtaddr 0
expect err "truncated ELF header" "short file"
run 2 "ELF32 core" -- tables --mem "$T/m-32.elf" --rtaddr 0
expect err "32-bit ELF cores are not supported" "ELF32 refused"
run 2 "big-endian ELF" -- tables --mem "$T/m-be.elf" --rtaddr 0
run 2 "ELF that is not a core" -- tables --mem "$T/m-exec.elf" --rtaddr 0
expect err "not a core dump" "not ET_CORE"
run 2 "ELF without memory" -- tables --mem "$T/m-noload.elf" --rtaddr 0
expect err "no PT_LOAD segment" "no segments"
run 2 "kdump-compressed dump" -- tables --mem "$T/m-kdump" --rtaddr 0
expect err "kdump-compressed dumps are not supported" "kdump refused"
run 2 "translate truncated ELF" -- translate --mem "$T/m-trunc.elf" --rtaddr 0 --sid 0 --iova 0
expect err "vtd translate: .*truncated ELF core" "translate names the problem"

# ---- replay --mem: guest RAM from an image
printf 'writeq 0xfed90020 0x10000\nwritel 0xfed90018 0x40000000\nwritel 0xfed90018 0x80000000\ntranslate 00:03.0 0x1234 r\ndma 00:03.0 0x1000 4 w data=0x01020304\nread 0x101000 4\nread 0x10000 8\n' >"$T/r.vtd"
run 0 "replay --mem raw" -- replay --mem "$T/m.raw" "$T/r.vtd"
cp "$T/out" "$T/r.raw"
expect out "^OK 0x101234 rw 0x1000$" "tables from the image"
expect out "^OK 0x01020304$" "DMA into image RAM"
expect out "^OK 0x0110010000000000$" "image contents readable"
run 0 "replay --mem ELF" -- replay --mem "$T/m.elf" "$T/r.vtd"
same r.raw out "replay: ELF = raw"
run 0 "replay --mem with --mem-size" -- replay --mem "$T/m-hole.elf" --mem-size 2M "$T/r.vtd"
expect out "^FAULT 0x06 LGN.3$" "the hole reads as zeros"
run 2 "replay --mem image larger than --mem-size" -- replay --mem "$T/m.raw" --mem-size 64K "$T/r.vtd"
expect err "beyond --mem-size" "names the size problem"
run 2 "replay --mem bad image" -- replay --mem "$T/m-trunc.elf" "$T/r.vtd"
run 2 "replay --mem missing image" -- replay --mem "$T/none" "$T/r.vtd"
run 2 "replay --mem without a value" -- replay --mem

# ---- acpi
run 0 "acpi hex" -- acpi
expect out "^44 4d 41 52 " "hex starts with DMAR"
python3 - "$T/out" "$T/dmar-hex" <<'PY'
import sys
open(sys.argv[2], 'wb').write(bytes.fromhex(open(sys.argv[1]).read()))
PY
run 0 "acpi -o" -- acpi -o "$T/dmar.dat"
if cmp -s "$T/dmar.dat" "$T/dmar-hex"; then ok "hex and binary agree"; else notok "hex and binary agree"; fi
# check DESC FILE PYEXPR EXPECTED: evaluate on the table bytes (bound to b)
acpi_eq() {
    got=$(python3 -c "
import struct, sys
b = open('$2', 'rb').read()
u8 = lambda o: b[o]
u16 = lambda o: struct.unpack_from('<H', b, o)[0]
u32 = lambda o: struct.unpack_from('<I', b, o)[0]
u64 = lambda o: struct.unpack_from('<Q', b, o)[0]
print($3)" 2>&1)
    if [ "$got" = "$4" ]; then ok "$1"; else echo "# $3 = $got, expected $4" >"$T/err"; : >"$T/out"; notok "$1"; fi
}
D="$T/dmar.dat"
acpi_eq "checksum sums to 0" "$D" "sum(b) % 256" "0"
acpi_eq "length field is the size" "$D" "u32(4) == len(b), len(b)" "True 72"
acpi_eq "header ids" "$D" "b[0:4], u8(8), b[10:16], b[16:24], u32(24), b[28:32], u32(32)" \
    "b'DMAR' 1 b'BOCHS ' b'BXPC    ' 1 b'BXPC' 1"
acpi_eq "host address width 47, INTR_REMAP" "$D" "u8(36), u8(37)" "47 1"
acpi_eq "DRHD: INCLUDE_PCI_ALL, segment 0, base" "$D" "u16(48), u16(50), u8(52), u16(54), hex(u64(56))" "0 24 1 0 0xfed90000"
acpi_eq "I/O APIC scope: id 0 at ff:00.0" "$D" "u8(64), u8(65), u8(68), u8(69), u8(70), u8(71)" "3 8 0 255 0 0"
run 0 "acpi with RMRR, ATSR, SATC, other base and segment" -- acpi --config aw-bits=39,intremap=off,device-iotlb=on \
    --base 0xfed91000 --segment 2 --rmrr 0xe0000-0xeffff@00:02.0 --rmrr 0x100000-0x1fffff --satc 00:03.0 --satc 01:00.1 -o "$T/d2.dat"
D="$T/d2.dat"
acpi_eq "second table checksum" "$D" "sum(b) % 256, u32(4) == len(b)" "0 True"
acpi_eq "aw-bits=39, no INTR_REMAP" "$D" "u8(36), u8(37)" "38 0"
acpi_eq "DRHD segment and base" "$D" "u16(54), hex(u64(56))" "2 0xfed91000"
acpi_eq "RMRR with a device" "$D" "u16(72), u16(74), u16(78), hex(u64(80)), hex(u64(88)), u8(96), b[101:104]" \
    "1 32 2 0xe0000 0xeffff 1 b'\\x00\\x02\\x00'"
acpi_eq "RMRR without a device" "$D" "u16(104), u16(106), hex(u64(112)), hex(u64(120))" "1 24 0x100000 0x1fffff"
acpi_eq "ATSR all ports" "$D" "u16(128), u16(130), u8(132), u16(134)" "2 8 1 2"
acpi_eq "SATC with two devices" "$D" "u16(136), u16(138), u16(142), b[149:152], b[157:160], len(b)" \
    "5 24 2 b'\\x00\\x03\\x00' b'\\x01\\x00\\x01' 160"
run 0 "acpi --json" -- acpi --json --config aw-bits=39
json_ok "acpi JSON parses"
json_eq "j['length'], j['host_address_width'], j['flags'], j['table'][:8], sum(bytes.fromhex(j['table'])) % 256" "72 38 1 444d4152 0" "acpi JSON fields"
run 2 "acpi -o with --json" -- acpi --json -o "$T/x"
run 2 "acpi bad rmrr" -- acpi --rmrr 0x1000-0x1000
expect err "not a 4 KiB-aligned range" "rmrr alignment"
run 2 "acpi rmrr without limit" -- acpi --rmrr 0x1000
run 2 "acpi rmrr bad device" -- acpi --rmrr 0x0-0xfff@zz
run 2 "acpi bad satc" -- acpi --satc 1:2:3
run 2 "acpi bad base" -- acpi --base 0x123
run 2 "acpi bad segment" -- acpi --segment 70000
run 2 "acpi bad config" -- acpi --config intremap=maybe
run 2 "acpi unknown option" -- acpi --frob
run 2 "acpi stray argument" -- acpi extra
run 2 "acpi unwritable output" -- acpi -o "$T/no/such/dir"
expect err "cannot create" "names the output problem"
if command -v iasl >/dev/null 2>&1; then
    for d in dmar d2; do
        (cd "$T" && iasl -d $d.dat) >"$T/out" 2>"$T/err"
        rc=$?
        if [ $rc -eq 0 ] && [ -f "$T/$d.dsl" ] && ! grep -Eqi "error|incorrect checksum|invalid" "$T/$d.dsl" "$T/out" "$T/err"; then
            ok "iasl -d accepts $d"; else notok "iasl -d accepts $d"; fi
    done
    cp "$T/dmar.dsl" "$T/out"
    expect out "Host Address Width : 2F" "iasl: host address width"
    expect out "Register Base Address : 00000000FED90000" "iasl: register base"
    expect out "Device Scope Type : 03 \[IOAPIC Device\]" "iasl: I/O APIC scope"
    cp "$T/d2.dsl" "$T/out"
    expect out "End Address \(limit\) : 00000000000EFFFF" "iasl: RMRR limit"
    expect out "Subtable Type : 0002 \[Root Port ATS Capability\]" "iasl: ATSR"
else
    for t in "iasl -d accepts dmar" "iasl -d accepts d2" "iasl: host address width" "iasl: register base" \
             "iasl: I/O APIC scope" "iasl: RMRR limit" "iasl: ATSR"; do
        skip "$t (iasl not installed)"
    done
fi

echo "1..$n"
[ "$fails" -eq 0 ]
