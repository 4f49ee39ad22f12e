/* SPDX-License-Identifier: MIT */
/*
 * libvtd-iommu: a QEMU device that is Intel VT-d, built on libvtd's public
 * API only (the headers under vtd/).  A drop-in for -device intel-iommu on q35: the same
 * property names (libvtd's configuration language is QEMU's), the register
 * window at 0xfed90000, one per machine.
 *
 * This file is the worked example for VMM authors (integrations/qemu/README.md
 * maps each QEMU hook to the libvtd call behind it):
 *
 *   register window MMIO            -> vtd_iommu_mmio_read / _write
 *   PCI DMA (IOMMU memory region)   -> vtd_iommu_translate
 *   MSI writes to 0xfeex_xxxx       -> vtd_iommu_remap_msi
 *   I/O APIC and KVM MSI routes     -> vtd_iommu_remap_msi (int_remap hook),
 *                                      rebuilt on the irq_inval callback
 *   vfio/vhost map-unmap notifiers  -> vtd_iommu_notifier_add / _replay
 *   vfio-pci host IOMMU (iommufd)   -> vtd_compat_check
 *   ACPI DMAR                       -> vtd_acpi_dmar
 *   migration                       -> vtd_iommu_save / vtd_iommu_load
 *   the IOMMU's own interrupts      <- vtd_event_ops.msi
 *   guest memory                    <- vtd_mem_ops (RAM only, never MMIO)
 *
 * It is written on QEMU's device APIs and shares no code with
 * hw/i386/intel_iommu.c.
 */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "qemu/rcu.h"
#include "hw/i386/x86-iommu.h"
#include "hw/i386/pc.h"
#include "hw/i386/x86.h"
#include "hw/pci/pci.h"
#include "hw/pci/pci_bus.h"
#include "hw/pci-host/q35.h"
#include "hw/qdev-properties.h"
#include "hw/sysbus.h"
#include "hw/acpi/aml-build.h"
#include "hw/vfio/vfio-common.h"
#include "exec/address-spaces.h"
#include "migration/vmstate.h"
#include "system/kvm.h"
#include "system/iommufd.h"
#include "system/host_iommu_device.h"
#include "qom/object.h"
#include "trace.h"

#include <vtd/vtd.h>
#include <vtd/acpi.h>

#include "hw/i386/libvtd-iommu.h"

OBJECT_DECLARE_SIMPLE_TYPE(LibvtdIOMMUState, LIBVTD_IOMMU)

#define TYPE_LIBVTD_IOMMU_MEMORY_REGION "libvtd-iommu-memory-region"

/* libvtd properties that are not inherited from x86-iommu, as strings:
 * libvtd parses and validates them, so the values, defaults and messages
 * are exactly those of its configuration language. */
#define LIBVTD_MAX_PROPS 48

typedef struct LibvtdIOMMUState LibvtdIOMMUState;

/* One requester's view: a PCI device's DMA, or the I/O APIC's interrupts. */
typedef struct LibvtdAS {
    LibvtdIOMMUState *s;
    PCIBus *bus;
    int devfn;
    bool ioapic;                  /* the I/O APIC: its interrupts carry no RID */
    int root_bus_num;             /* a root bus's number, fixed; -1 behind a
                                   * bridge, whose number the guest sets */
    IOMMUMemoryRegion iommu;      /* translated DMA (GSTS.TES=1) */
    MemoryRegion nodmar;          /* untranslated DMA (GSTS.TES=0) */
    MemoryRegion ir;              /* MSI window 0xfee00000, above both */
    MemoryRegion root;
    AddressSpace as;
    struct vtd_notifier *ntf;     /* map/unmap shadowing (vfio, vhost) */
    QLIST_ENTRY(LibvtdAS) next;
} LibvtdAS;

struct LibvtdIOMMUState {
    X86IOMMUState parent_obj;

    MemoryRegion mmio;
    char *prop[LIBVTD_MAX_PROPS];
    struct vtd_config cfg;
    struct vtd_iommu *vtd;
    PCIBus *bus;
    GHashTable *spaces;           /* (bus, devfn) -> LibvtdAS */
    QLIST_HEAD(, LibvtdAS) all;
    LibvtdAS *ioapic_as;
    bool dmar_on;                 /* GSTS.TES as the address spaces show it */
    QemuMutex hiod_lock;
    GHashTable *hiods;            /* (bus, devfn) -> HostIOMMUDevice */

    /* x-shadow: a QEMU IOMMU notifier on one device, as vfio registers
     * one (the test of the notifier path; see libvtd_shadow_*) */
    char *shadow_dev;
    int shadow_devfn;             /* shadow_dev parsed at realize; -1: none */
    IOMMUNotifier shadow;
    LibvtdAS *shadow_as;
    GTree *shadow_map;            /* iova -> LibvtdShadowEntry */
    uint64_t shadow_maps, shadow_unmaps;

    /* the flat-RAM fast path: guest RAM below 4 GiB as libvtd reads it */
    bool flat_ram;
    MemoryRegion *ram_mr;

    /* migration: the whole guest-visible state as one libvtd blob */
    uint32_t blob_len;
    uint8_t *blob;
};

static const struct vtd_config_prop *libvtd_props;
static size_t libvtd_nprops;

/* ---- guest memory: RAM only ------------------------------------------------ */

/*
 * libvtd reads tables and writes status words through these with its lock
 * held.  An MMIO target would run a device model (the IOMMU's own window,
 * a BAR whose device does DMA) under that lock, so anything that is not
 * RAM is refused: the walk or queue then reports the architected fault.
 */
/* The host address of guest RAM at gpa, at most *len bytes of it (*len
 * becomes what is contiguous there), or NULL when it is not RAM (or
 * read-only, for a write).  Inside an RCU read-side section. */
static uint8_t *libvtd_ram_ptr(uint64_t gpa, hwaddr *len, bool write, MemoryRegion **mrp,
                               hwaddr *xlatp)
{
    MemoryRegion *mr = address_space_translate(&address_space_memory, gpa, xlatp, len,
                                               write, MEMTXATTRS_UNSPECIFIED);
    if (!memory_region_is_ram(mr) || memory_region_is_ram_device(mr) ||
        (write && mr->readonly) || !*len) {
        return NULL;
    }
    *mrp = mr;
    return (uint8_t *)memory_region_get_ram_ptr(mr) + *xlatp;
}

static int libvtd_ram_access(uint64_t gpa, void *buf, size_t len, bool write)
{
    uint8_t *p = buf;

    RCU_READ_LOCK_GUARD();
    while (len) {
        hwaddr xlat, l = len;
        MemoryRegion *mr;
        uint8_t *ram = libvtd_ram_ptr(gpa, &l, write, &mr, &xlat);
        if (!ram) {
            return -EFAULT;
        }
        if (write) {
            memcpy(ram, p, l);
            /* migration and display dirty tracking see every write */
            memory_region_set_dirty(mr, xlat, l);
        } else {
            memcpy(p, ram, l);
        }
        gpa += l;
        p += l;
        len -= l;
    }
    return 0;
}

static int libvtd_mem_read(void *opaque, uint64_t gpa, void *buf, size_t len)
{
    return libvtd_ram_access(gpa, buf, len, false);
}

static int libvtd_mem_write(void *opaque, uint64_t gpa, const void *buf, size_t len)
{
    return libvtd_ram_access(gpa, (void *)buf, len, true);
}

/* Accessed/dirty flags and posted-interrupt descriptors: a locked
 * compare-and-exchange on the RAM itself, as the hardware's locked update. */
static int libvtd_mem_cmpxchg64(void *opaque, uint64_t gpa, uint64_t *expected,
                                uint64_t desired)
{
    if (gpa & 7) {
        return -EFAULT;
    }
    RCU_READ_LOCK_GUARD();
    hwaddr xlat, l = 8;
    MemoryRegion *mr;
    uint64_t *word = (uint64_t *)libvtd_ram_ptr(gpa, &l, true, &mr, &xlat);
    if (!word || l < 8) {
        return -EFAULT;
    }
    uint64_t want = cpu_to_le64(*expected);
    if (__atomic_compare_exchange_n(word, &want, cpu_to_le64(desired), false,
                                    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
        memory_region_set_dirty(mr, xlat, 8);
        return 0;
    }
    *expected = le64_to_cpu(want);
    return -EAGAIN;
}

/*
 * libvtd wrote into the flat RAM (A/D flags, wait status, posted-interrupt
 * descriptors, page requests): migration's dirty log must see it, or the
 * destination gets the page as it was before.
 */
static void libvtd_ram_dirty(void *opaque, uint64_t gpa, uint64_t len)
{
    LibvtdIOMMUState *s = opaque;

    memory_region_set_dirty(s->ram_mr, gpa, len);
}

static const struct vtd_mem_ops libvtd_mem_ops = {
    .read = libvtd_mem_read,
    .write = libvtd_mem_write,
    .cmpxchg64 = libvtd_mem_cmpxchg64,
};

/* ---- interrupts ----------------------------------------------------------------- */

/* An MSI that is already remapped (or the IOMMU's own): straight to the
 * APICs through system memory, which never leads back here. */
static void libvtd_deliver_msi(uint64_t addr, uint32_t data)
{
    address_space_stl_le(&address_space_memory, addr, data, MEMTXATTRS_UNSPECIFIED, NULL);
}

/* The IOMMU's fault, invalidation-completion and page-request events. */
static void libvtd_event_msi(void *opaque, uint64_t addr, uint32_t data)
{
    trace_vtd_irq_generate(addr, data);
    libvtd_deliver_msi(addr, data);
}

static LibvtdAS *libvtd_find_sid(LibvtdIOMMUState *s, uint16_t sid);

/* A device-TLB invalidation: tell the device's ATC holders (vhost with
 * device-iotlb=on registers DEVIOTLB_UNMAP notifiers). */
static void libvtd_event_devtlb(void *opaque, const struct vtd_devtlb_inval *inv)
{
    LibvtdIOMMUState *s = opaque;
    LibvtdAS *vas = libvtd_find_sid(s, inv->sid);
    if (!vas) {
        return;
    }
    hwaddr size = inv->size == ~0ull ? ~0ull : inv->size;
    IOMMUTLBEvent ev = {
        .type = IOMMU_NOTIFIER_DEVIOTLB_UNMAP,
        .entry = {
            .target_as = &address_space_memory,
            .iova = inv->size == ~0ull ? 0 : inv->addr,
            .translated_addr = 0,
            .addr_mask = size == ~0ull ? ~0ull : size - 1,
            .perm = IOMMU_NONE,
        },
    };
    memory_region_notify_iommu(&vas->iommu, 0, ev);
}

/*
 * The guest invalidated interrupt-remapping entries.  libvtd calls this
 * after releasing its lock, so the KVM MSI routes and the I/O APIC that the
 * notifiers rebuild may call back into vtd_iommu_remap_msi().
 */
static void libvtd_irq_inval(void *opaque, bool global, uint32_t index, uint32_t count)
{
    LibvtdIOMMUState *s = opaque;
    uint32_t mask = 0;

    /* QEMU's notifiers take an aligned power-of-two block: a range that
     * is not one (libvtd may merge several) becomes a global event */
    while (mask < 16 && (1u << mask) < count) {
        mask++;
    }
    if (mask >= 16 || (index & ((1u << mask) - 1))) {
        global = true;
    }
    x86_iommu_iec_notify_all(X86_IOMMU_DEVICE(s), global, global ? 0 : index, global ? 0 : mask);
}

static uint16_t libvtd_as_sid(LibvtdAS *vas)
{
    if (vas->ioapic) {
        return VTD_Q35_IOAPIC_SID;
    }
    /* pci_bus_num() goes through QOM class casts: about 85 instructions a
     * translation, where a root bus's number cannot change */
    int bus = vas->root_bus_num >= 0 ? vas->root_bus_num : pci_bus_num(vas->bus);
    return PCI_BUILD_BDF(bus, vas->devfn);
}

static int libvtd_remap(LibvtdIOMMUState *s, uint16_t sid, uint64_t addr, uint32_t data,
                        MSIMessage *out)
{
    struct vtd_irq irq;
    int r = vtd_iommu_remap_msi(s->vtd, sid, addr, data, &irq);
    if (r) {
        if (irq.blocked && irq.fault_recorded) {
            trace_vtd_dmar_fault(sid, irq.fault, addr, true);
        }
        return r;
    }
    if (irq.posted && !irq.notify) {
        return -ENOENT;     /* posted into the guest's descriptor: nothing to send */
    }
    out->address = irq.addr;
    out->data = irq.data;
    return 0;
}

/* A DWORD write to 0xfeex_xxxx in a requester's address space: an MSI. */
static MemTxResult libvtd_ir_write(void *opaque, hwaddr addr, uint64_t value, unsigned size,
                                   MemTxAttrs attrs)
{
    LibvtdAS *vas = opaque;
    uint16_t sid;
    MSIMessage msg;

    if (vas->ioapic || attrs.unspecified) {
        sid = libvtd_as_sid(vas);
    } else {
        sid = attrs.requester_id;
    }
    trace_vtd_ir_remap_msi_req(LIBVTD_MSI_BASE + addr, value);
    if (libvtd_remap(vas->s, sid, LIBVTD_MSI_BASE + addr, (uint32_t)value, &msg) == 0) {
        trace_vtd_ir_remap_msi(LIBVTD_MSI_BASE + addr, value, msg.address, msg.data);
        libvtd_deliver_msi(msg.address, msg.data);
    }
    /* a blocked interrupt was recorded as a fault by libvtd and is dropped */
    return MEMTX_OK;
}

static MemTxResult libvtd_ir_read(void *opaque, hwaddr addr, uint64_t *data, unsigned size,
                                  MemTxAttrs attrs)
{
    *data = 0;
    return MEMTX_OK;
}

static const MemoryRegionOps libvtd_ir_ops = {
    .read_with_attrs = libvtd_ir_read,
    .write_with_attrs = libvtd_ir_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .impl = { .min_access_size = 4, .max_access_size = 4 },
    .valid = { .min_access_size = 4, .max_access_size = 4 },
};

/* KVM's MSI routes (kernel-irqchip=split) and the in-kernel fixups. */
static int libvtd_int_remap(X86IOMMUState *iommu, MSIMessage *src, MSIMessage *dst,
                            uint16_t sid)
{
    LibvtdIOMMUState *s = LIBVTD_IOMMU(iommu);

    if (sid == X86_IOMMU_SID_INVALID) {
        sid = VTD_Q35_IOAPIC_SID;   /* the I/O APIC's scope in our DMAR */
    }
    return libvtd_remap(s, sid, src->address, src->data, dst) ? -EINVAL : 0;
}

/* ---- DMA ---------------------------------------------------------------------- */

static IOMMUTLBEntry libvtd_translate(IOMMUMemoryRegion *iommu, hwaddr addr,
                                      IOMMUAccessFlags flag, int iommu_idx)
{
    LibvtdAS *vas = container_of(iommu, LibvtdAS, iommu);
    IOMMUTLBEntry e = {
        .target_as = &address_space_memory,
        .iova = addr & ~0xfffull,
        .translated_addr = 0,
        .addr_mask = 0xfff,
        .perm = IOMMU_NONE,
    };
    struct vtd_dma_request req = {
        .sid = libvtd_as_sid(vas),
        .addr = addr,
        .perm = (flag & IOMMU_WO ? VTD_PERM_W : 0) |
                (flag & IOMMU_RO || flag == IOMMU_NONE ? VTD_PERM_R : 0),
        .at = VTD_AT_UNTRANSLATED,
    };
    struct vtd_translation t = { 0 };

    if (vtd_iommu_translate(vas->s->vtd, &req, &t) < 0 || t.status == VTD_XLATE_FAULT) {
        /* blocked; libvtd recorded the fault (or FPD, or a full fault log,
         * kept it from being recorded).  intel-iommu's trace events, so
         * tests/qemu's harness reads this device as it reads intel-iommu */
        if (t.status == VTD_XLATE_FAULT && t.fault_recorded) {
            trace_vtd_dmar_fault(req.sid, t.fault, addr, (flag & IOMMU_WO) != 0);
        } else if (t.status == VTD_XLATE_FAULT) {
            trace_vtd_fault_disabled();
        }
        return e;
    }
    if (t.status == VTD_XLATE_INTERRUPT) {
        /* the IR region above covers this; reaching here means a read of
         * the interrupt range, which goes nowhere */
        return e;
    }
    uint64_t mask = t.page_size ? t.page_size - 1 : 0xfff;
    e.iova = addr & ~mask;
    e.translated_addr = t.addr & ~mask;
    e.addr_mask = mask;
    e.perm = (t.perm & VTD_PERM_R ? IOMMU_RO : 0) | (t.perm & VTD_PERM_W ? IOMMU_WO : 0);
    trace_vtd_dmar_translate(req.sid >> 8, PCI_SLOT(req.sid & 0xff), PCI_FUNC(req.sid & 0xff),
                             e.iova, e.translated_addr, e.addr_mask);
    return e;
}

/* libvtd's notifier reports ranges; QEMU's events are naturally aligned
 * power-of-two blocks. */
static void libvtd_notify_range(LibvtdAS *vas, IOMMUNotifierFlag type, uint64_t iova,
                                uint64_t size, uint64_t addr, unsigned perm)
{
    while (size) {
        uint64_t blk = iova ? (iova & -iova) : (1ull << 63);
        while (blk > size) {
            blk >>= 1;
        }
        IOMMUTLBEvent ev = {
            .type = type,
            .entry = {
                .target_as = &address_space_memory,
                .iova = iova,
                .translated_addr = type == IOMMU_NOTIFIER_MAP ? addr : 0,
                .addr_mask = blk - 1,
                .perm = type == IOMMU_NOTIFIER_MAP ?
                        ((perm & VTD_PERM_R ? IOMMU_RO : 0) |
                         (perm & VTD_PERM_W ? IOMMU_WO : 0)) : IOMMU_NONE,
            },
        };
        memory_region_notify_iommu(&vas->iommu, 0, ev);
        iova += blk;
        addr += blk;
        size -= blk;
    }
}

static void libvtd_ntf_map(void *opaque, uint64_t iova, uint64_t size, uint64_t addr,
                           unsigned perm)
{
    libvtd_notify_range(opaque, IOMMU_NOTIFIER_MAP, iova, size, addr, perm);
}

static void libvtd_ntf_unmap(void *opaque, uint64_t iova, uint64_t size)
{
    libvtd_notify_range(opaque, IOMMU_NOTIFIER_UNMAP, iova, size, 0, 0);
}

static void libvtd_ntf_error(void *opaque, const char *why)
{
    LibvtdAS *vas = opaque;
    warn_report("libvtd-iommu: shadowing %02x:%02x.%x: %s", pci_bus_num(vas->bus),
                PCI_SLOT(vas->devfn), PCI_FUNC(vas->devfn), why);
}

static const struct vtd_notifier_ops libvtd_ntf_ops = {
    .map = libvtd_ntf_map,
    .unmap = libvtd_ntf_unmap,
    .error = libvtd_ntf_error,
};

static int libvtd_notify_flag_changed(IOMMUMemoryRegion *iommu, IOMMUNotifierFlag old,
                                      IOMMUNotifierFlag new, Error **errp)
{
    LibvtdAS *vas = container_of(iommu, LibvtdAS, iommu);
    bool want = new & IOMMU_NOTIFIER_IOTLB_EVENTS;

    if (want && !vas->ntf) {
        int r = vtd_iommu_notifier_add(vas->s->vtd, libvtd_as_sid(vas), &libvtd_ntf_ops, vas,
                                       &vas->ntf);
        if (r) {
            error_setg_errno(errp, -r, "libvtd-iommu: cannot shadow %02x:%02x.%x",
                             pci_bus_num(vas->bus), PCI_SLOT(vas->devfn),
                             PCI_FUNC(vas->devfn));
            return r;
        }
    } else if (!want && vas->ntf) {
        vtd_iommu_notifier_del(vas->s->vtd, vas->ntf);
        vas->ntf = NULL;
    }
    return 0;
}

static void libvtd_replay(IOMMUMemoryRegion *iommu, IOMMUNotifier *n)
{
    LibvtdAS *vas = container_of(iommu, LibvtdAS, iommu);

    if (vas->ntf) {
        vtd_iommu_notifier_replay(vas->s->vtd, vas->ntf);
    }
}

/* GSTS.TES decides whether DMA is translated: switch every address space
 * between the IOMMU region and the plain alias of system memory. */
static void libvtd_switch_all(LibvtdIOMMUState *s, bool force)
{
    uint64_t gsts = 0;
    LibvtdAS *vas;

    vtd_iommu_mmio_read(s->vtd, VTD_REG_GSTS, 4, &gsts);
    bool on = gsts & (1u << 31);
    if (on == s->dmar_on && !force) {
        return;
    }
    s->dmar_on = on;
    memory_region_transaction_begin();
    QLIST_FOREACH(vas, &s->all, next) {
        if (vas->ioapic) {
            continue;
        }
        memory_region_set_enabled(MEMORY_REGION(&vas->iommu), on);
        memory_region_set_enabled(&vas->nodmar, !on);
    }
    memory_region_transaction_commit();
}

typedef struct LibvtdASKey {
    PCIBus *bus;
    int devfn;
} LibvtdASKey;

static guint libvtd_key_hash(gconstpointer v)
{
    const LibvtdASKey *k = v;
    return (guint)((uintptr_t)k->bus >> 4) ^ (guint)k->devfn;
}

static gboolean libvtd_key_equal(gconstpointer a, gconstpointer b)
{
    const LibvtdASKey *x = a, *y = b;
    return x->bus == y->bus && x->devfn == y->devfn;
}

static LibvtdAS *libvtd_find_sid(LibvtdIOMMUState *s, uint16_t sid)
{
    LibvtdAS *vas;

    QLIST_FOREACH(vas, &s->all, next) {
        if (!vas->ioapic && libvtd_as_sid(vas) == sid) {
            return vas;
        }
    }
    return NULL;
}

static LibvtdAS *libvtd_get_as(LibvtdIOMMUState *s, PCIBus *bus, int devfn, bool ioapic)
{
    LibvtdASKey key = { .bus = bus, .devfn = ioapic ? -1 : devfn };
    LibvtdAS *vas = g_hash_table_lookup(s->spaces, &key);

    if (vas) {
        return vas;
    }
    vas = g_new0(LibvtdAS, 1);
    vas->s = s;
    vas->bus = bus;
    vas->devfn = devfn;
    vas->ioapic = ioapic;
    vas->root_bus_num = !ioapic && pci_bus_is_root(bus) ? pci_bus_num(bus) : -1;

    g_autofree char *name = ioapic ? g_strdup("libvtd-ioapic") :
        g_strdup_printf("libvtd-%s-%02x.%x", pci_bus_is_root(bus) ? "root" : bus->qbus.name,
                        PCI_SLOT(devfn), PCI_FUNC(devfn));
    g_autofree char *rname = g_strdup_printf("%s-root", name);
    g_autofree char *iname = g_strdup_printf("%s-ir", name);

    memory_region_init(&vas->root, OBJECT(s), rname, UINT64_MAX);
    memory_region_init_io(&vas->ir, OBJECT(s), &libvtd_ir_ops, vas, iname,
                          LIBVTD_MSI_SIZE);
    memory_region_add_subregion_overlap(&vas->root, LIBVTD_MSI_BASE, &vas->ir, 1);
    if (!ioapic) {
        memory_region_init_iommu(&vas->iommu, sizeof(vas->iommu),
                                 TYPE_LIBVTD_IOMMU_MEMORY_REGION, OBJECT(s), name,
                                 UINT64_MAX);
        memory_region_init_alias(&vas->nodmar, OBJECT(s), "libvtd-nodmar",
                                 get_system_memory(), 0,
                                 memory_region_size(get_system_memory()));
        memory_region_add_subregion_overlap(&vas->root, 0, MEMORY_REGION(&vas->iommu), 0);
        memory_region_add_subregion_overlap(&vas->root, 0, &vas->nodmar, 0);
        memory_region_set_enabled(MEMORY_REGION(&vas->iommu), s->dmar_on);
        memory_region_set_enabled(&vas->nodmar, !s->dmar_on);
    }
    address_space_init(&vas->as, &vas->root, name);

    LibvtdASKey *k = g_new(LibvtdASKey, 1);
    *k = key;
    g_hash_table_insert(s->spaces, k, vas);
    QLIST_INSERT_HEAD(&s->all, vas, next);
    return vas;
}


/* ---- x-shadow: QEMU's IOMMU notifier API, exercised as vfio uses it -------- */

typedef struct LibvtdShadowEntry {
    hwaddr iova, mask, out;
    IOMMUAccessFlags perm;
} LibvtdShadowEntry;

static gint libvtd_u64_cmp(gconstpointer a, gconstpointer b, gpointer unused)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

typedef struct {
    hwaddr lo, hi;
    GPtrArray *hits;
} LibvtdShadowRange;

static gboolean libvtd_shadow_overlaps(gpointer key, gpointer value, gpointer data)
{
    LibvtdShadowEntry *e = value;
    LibvtdShadowRange *r = data;
    if (e->iova <= r->hi && e->iova + e->mask >= r->lo) {
        g_ptr_array_add(r->hits, key);
    }
    return false;
}

/* What a shadowing VMM does with the events: keep the current mappings. */
static void libvtd_shadow_notify(IOMMUNotifier *n, IOMMUTLBEntry *e)
{
    LibvtdIOMMUState *s = container_of(n, LibvtdIOMMUState, shadow);
    LibvtdShadowRange r = { e->iova, e->iova + e->addr_mask, g_ptr_array_new() };

    /* a map replaces, an unmap removes, whatever overlaps */
    g_tree_foreach(s->shadow_map, libvtd_shadow_overlaps, &r);
    for (guint i = 0; i < r.hits->len; i++) {
        g_tree_remove(s->shadow_map, g_ptr_array_index(r.hits, i));
    }
    g_ptr_array_free(r.hits, true);
    if (e->perm != IOMMU_NONE) {
        LibvtdShadowEntry *m = g_new(LibvtdShadowEntry, 1);
        m->iova = e->iova;
        m->mask = e->addr_mask;
        m->out = e->translated_addr;
        m->perm = e->perm;
        g_tree_insert(s->shadow_map, &m->iova, m);
        s->shadow_maps++;
    } else {
        s->shadow_unmaps++;
    }
}

/* Register the shadow when the device's address space is made. */
static void libvtd_shadow_attach(LibvtdIOMMUState *s, LibvtdAS *vas)
{
    Error *err = NULL;

    if (s->shadow_devfn < 0 || s->shadow_as || !pci_bus_is_root(vas->bus) ||
        s->shadow_devfn != vas->devfn) {
        return;
    }
    s->shadow_map = g_tree_new_full(libvtd_u64_cmp, NULL, NULL, g_free);
    iommu_notifier_init(&s->shadow, libvtd_shadow_notify, IOMMU_NOTIFIER_IOTLB_EVENTS, 0,
                        HWADDR_MAX, 0);
    if (memory_region_register_iommu_notifier(MEMORY_REGION(&vas->iommu), &s->shadow, &err)) {
        error_report_err(err);
        return;
    }
    s->shadow_as = vas;
    memory_region_iommu_replay(&vas->iommu, &s->shadow);
}

typedef struct {
    LibvtdIOMMUState *s;
    uint64_t checked, mismatch;
} LibvtdShadowCheck;

/* Every shadowed page must translate as the shadow says (call it while no
 * invalidation is pending: the guest idle). */
static gboolean libvtd_shadow_check_one(gpointer key, gpointer value, gpointer data)
{
    LibvtdShadowEntry *e = value;
    LibvtdShadowCheck *c = data;
    IOMMUTLBEntry t = libvtd_translate(&c->s->shadow_as->iommu, e->iova, IOMMU_RO, 0);

    c->checked++;
    if (t.perm != e->perm || (t.translated_addr & ~e->mask) != (e->out & ~e->mask)) {
        c->mismatch++;
    }
    return false;
}

static char *libvtd_get_shadow(Object *obj, Error **errp)
{
    LibvtdIOMMUState *s = LIBVTD_IOMMU(obj);
    LibvtdShadowCheck c = { s, 0, 0 };

    if (!s->shadow_as) {
        return g_strdup("{}");
    }
    g_tree_foreach(s->shadow_map, libvtd_shadow_check_one, &c);
    return g_strdup_printf("{\"maps\":%" PRIu64 ",\"unmaps\":%" PRIu64 ",\"live\":%d,"
                           "\"checked\":%" PRIu64 ",\"mismatch\":%" PRIu64 "}",
                           s->shadow_maps, s->shadow_unmaps, g_tree_nnodes(s->shadow_map),
                           c.checked, c.mismatch);
}

static AddressSpace *libvtd_pci_as(PCIBus *bus, void *opaque, int devfn)
{
    LibvtdAS *vas = libvtd_get_as(opaque, bus, devfn, false);

    libvtd_shadow_attach(opaque, vas);
    return &vas->as;
}

/* ---- host IOMMU of an assigned device --------------------------------------- */

/*
 * vfio-pci tells us which host IOMMU sits above the device.  With an
 * iommufd backend its VT-d CAP/ECAP come from IOMMU_GET_HW_INFO, and
 * libvtd's compatibility check decides; realize fails with its findings.
 */
static bool libvtd_set_iommu_device(PCIBus *bus, void *opaque, int devfn,
                                    HostIOMMUDevice *hiod, Error **errp)
{
    LibvtdIOMMUState *s = opaque;
    struct vtd_host_device dev;
    struct vtd_compat_result res;
    LibvtdASKey key = { .bus = bus, .devfn = devfn };

    vtd_host_device_init(&dev, 0, 0);
    snprintf(dev.name, sizeof(dev.name), "%s", hiod->name ? hiod->name : "vfio");
    if (object_dynamic_cast(OBJECT(hiod), TYPE_HOST_IOMMU_DEVICE_IOMMUFD)) {
        VFIODevice *vd = hiod->agent;
        struct {
            uint32_t flags, reserved;
            uint64_t cap_reg, ecap_reg;
        } info = { 0 };
        uint32_t type = 0;
        uint64_t caps = 0;

        if (!vd || !iommufd_backend_get_device_info(vd->iommufd, vd->devid, &type, &info,
                                                    sizeof(info), &caps, errp)) {
            if (errp && !*errp) {
                error_setg(errp, "libvtd-iommu: no host IOMMU information for %s", dev.name);
            }
            return false;
        }
        dev.source = VTD_HOST_SRC_IOMMUFD;
        dev.backend = VTD_BACKEND_IOMMUFD;
        dev.hw_info_type = type;
        dev.hw_info_flags = info.flags;
        dev.cap = info.cap_reg;
        dev.ecap = info.ecap_reg;
        dev.hw_caps = caps;
    } else {
        /* a legacy VFIO container: QEMU knows only the address width */
        HostIOMMUDeviceClass *hiodc = HOST_IOMMU_DEVICE_GET_CLASS(hiod);
        int aw = hiodc->get_cap ? hiodc->get_cap(hiod, HOST_IOMMU_DEVICE_CAP_AW_BITS, NULL) : -1;
        if (aw > 0 && aw < s->cfg.aw_bits) {
            error_setg(errp, "aw-bits %d > host aw-bits %d", s->cfg.aw_bits, aw);
            return false;
        }
        if (s->cfg.flts || s->cfg.nest) {
            error_setg(errp, "Need IOMMUFD backend when x-flts=on");
            return false;
        }
        if (!s->cfg.caching_mode) {
            error_setg(errp, "Device assignment is not allowed without enabling "
                       "caching-mode=on for Intel IOMMU.");
            return false;
        }
        goto accept;
    }

    if (vtd_compat_check(&s->cfg, &dev, &res) < 0) {
        error_setg(errp, "libvtd-iommu: the compatibility check failed for %s", dev.name);
        return false;
    }
    for (unsigned i = 0; i < res.n; i++) {
        if (res.findings[i].severity == VTD_SEV_WARNING) {
            warn_report("libvtd-iommu: %s: %s", dev.name, res.findings[i].message);
        }
    }
    if (!res.compatible) {
        GString *msg = g_string_new(VTD_COMPAT_SUMMARY_FAIL);
        for (unsigned i = 0; i < res.n; i++) {
            if (res.findings[i].severity == VTD_SEV_ERROR) {
                g_string_append_printf(msg, "\n  %s: %s", res.findings[i].name,
                                       res.findings[i].message);
            }
        }
        error_setg(errp, "%s", msg->str);
        g_string_free(msg, true);
        return false;
    }
accept:
    qemu_mutex_lock(&s->hiod_lock);
    if (g_hash_table_lookup(s->hiods, &key)) {
        qemu_mutex_unlock(&s->hiod_lock);
        error_setg(errp, "Host IOMMU device already exist");
        return false;
    }
    LibvtdASKey *k = g_new(LibvtdASKey, 1);
    *k = key;
    object_ref(OBJECT(hiod));
    g_hash_table_insert(s->hiods, k, hiod);
    qemu_mutex_unlock(&s->hiod_lock);
    return true;
}

static void libvtd_unset_iommu_device(PCIBus *bus, void *opaque, int devfn)
{
    LibvtdIOMMUState *s = opaque;
    LibvtdASKey key = { .bus = bus, .devfn = devfn };

    qemu_mutex_lock(&s->hiod_lock);
    g_hash_table_remove(s->hiods, &key);
    qemu_mutex_unlock(&s->hiod_lock);
}

static void libvtd_hiod_free(gpointer p)
{
    object_unref(OBJECT(p));
}

static PCIIOMMUOps libvtd_pci_ops = {
    .get_address_space = libvtd_pci_as,
    .set_iommu_device = libvtd_set_iommu_device,
    .unset_iommu_device = libvtd_unset_iommu_device,
};

/* ---- the register window ------------------------------------------------------ */

static MemTxResult libvtd_mmio_read(void *opaque, hwaddr addr, uint64_t *data, unsigned size,
                                    MemTxAttrs attrs)
{
    LibvtdIOMMUState *s = opaque;

    if (vtd_iommu_mmio_read(s->vtd, addr, size, data) < 0) {
        *data = 0;
    }
    return MEMTX_OK;
}

static MemTxResult libvtd_mmio_write(void *opaque, hwaddr addr, uint64_t value, unsigned size,
                                     MemTxAttrs attrs)
{
    LibvtdIOMMUState *s = opaque;

    vtd_iommu_mmio_write(s->vtd, addr, size, value);
    if (addr <= VTD_REG_GCMD && addr + size > VTD_REG_GCMD) {
        libvtd_switch_all(s, false);
    }
    return MEMTX_OK;
}

static const MemoryRegionOps libvtd_mmio_ops = {
    .read_with_attrs = libvtd_mmio_read,
    .write_with_attrs = libvtd_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .impl = { .min_access_size = 4, .max_access_size = 8 },
    .valid = { .min_access_size = 4, .max_access_size = 8 },
};

/* ---- ACPI ------------------------------------------------------------------------ */

void libvtd_iommu_build_dmar(GArray *table_data, BIOSLinker *linker, const char *oem_id,
                             const char *oem_table_id)
{
    LibvtdIOMMUState *s = LIBVTD_IOMMU(x86_iommu_get_default());
    struct vtd_dmar_opts o = {
        .sz = sizeof(o),
        .base = VTD_Q35_IOMMU_BASE,
        .ioapic_id = VTD_Q35_IOAPIC_ID,
        .ioapic_sid = VTD_Q35_IOAPIC_SID,
        .ioapic_sid_set = true,
    };
    long n = vtd_acpi_dmar(&s->cfg, &o, NULL, 0);
    g_assert(n > 36);
    g_autofree uint8_t *buf = g_malloc(n);
    g_assert(vtd_acpi_dmar(&s->cfg, &o, buf, n) == n);

    /* QEMU writes the header (OEM ids, the linker's checksum); the body,
     * from the Host Address Width on, is libvtd's */
    AcpiTable table = { .sig = "DMAR", .rev = 1, .oem_id = oem_id,
                        .oem_table_id = oem_table_id };
    acpi_table_begin(&table, table_data);
    g_array_append_vals(table_data, buf + 36, n - 36);
    acpi_table_end(linker, &table);
}

/* ---- life cycle ------------------------------------------------------------------ */

static char *libvtd_config_string(LibvtdIOMMUState *s)
{
    X86IOMMUState *x = X86_IOMMU_DEVICE(s);
    GString *p = g_string_new(NULL);
    const char *irqchip = !kvm_irqchip_in_kernel() ? "off" :
                          kvm_irqchip_is_split() ? "split" : "on";

    for (size_t i = 0; i < libvtd_nprops; i++) {
        if (s->prop[i]) {
            g_string_append_printf(p, "%s=%s,", libvtd_props[i].name, s->prop[i]);
        }
    }
    g_string_append_printf(p, "intremap=%s,device-iotlb=%s,pt=%s,kernel-irqchip=%s",
                           x->intr_supported == ON_OFF_AUTO_ON ? "on" :
                           x->intr_supported == ON_OFF_AUTO_OFF ? "off" : "auto",
                           x->dt_supported ? "on" : "off", x->pt_supported ? "on" : "off",
                           irqchip);
    return g_string_free(p, false);
}

static bool libvtd_is_inherited(const char *name)
{
    return !strcmp(name, "intremap") || !strcmp(name, "device-iotlb") || !strcmp(name, "pt") ||
           !strcmp(name, "kernel-irqchip");
}

static void libvtd_realize(DeviceState *dev, Error **errp)
{
    LibvtdIOMMUState *s = LIBVTD_IOMMU(dev);
    PCMachineState *pcms = PC_MACHINE(qdev_get_machine());
    X86MachineState *x86ms = X86_MACHINE(pcms);
    struct vtd_error err;
    g_autofree char *props = libvtd_config_string(s);

    if (vtd_config_parse(&s->cfg, props, &err)) {
        error_setg(errp, "%s", err.msg);
        return;
    }
    s->shadow_devfn = -1;
    if (s->shadow_dev) {
        unsigned slot, fn;
        int end = 0;
        if (sscanf(s->shadow_dev, "%2x.%1x%n", &slot, &fn, &end) != 2 ||
            s->shadow_dev[end] || slot > 0x1f || fn > 7) {
            error_setg(errp, "x-shadow: '%s' is not a root-bus device SS.F "
                       "(slot 00-1f, function 0-7)", s->shadow_dev);
            return;
        }
        s->shadow_devfn = PCI_DEVFN(slot, fn);
    }
    struct vtd_iommu_opts o = {
        .sz = sizeof(o),
        .mem = &libvtd_mem_ops,
        .mem_opaque = s,
        .events = &(const struct vtd_event_ops){
            .msi = libvtd_event_msi,
            .devtlb_inval = libvtd_event_devtlb,
        },
        .event_opaque = s,
        .irq_inval = libvtd_irq_inval,
        .ram_dirty = libvtd_ram_dirty,
    };
    /*
     * q35 maps the RAM block from guest physical 0 up to below_4g_mem_size:
     * libvtd walks tables there without a callback.  Below 1 MiB the VGA
     * window and the option-ROM/PAM ranges overlay it; libvtd reads the
     * RAM beneath them (guests keep no remapping structures there).  Above
     * that size (and with x-flat-ram=off everywhere) the callbacks serve.
     */
    MachineState *ms = MACHINE(pcms);
    if (s->flat_ram && ms->ram && x86ms->below_4g_mem_size) {
        s->ram_mr = ms->ram;
        o.ram = memory_region_get_ram_ptr(ms->ram);
        o.ram_size = MIN(x86ms->below_4g_mem_size, memory_region_size(ms->ram));
    }
    if (vtd_iommu_new(&s->cfg, &o, &s->vtd, &err)) {
        error_setg(errp, "libvtd-iommu: %s", err.msg);
        return;
    }
    s->cfg = *vtd_iommu_config(s->vtd);

    s->bus = pcms->pcibus;
    s->spaces = g_hash_table_new_full(libvtd_key_hash, libvtd_key_equal, g_free, NULL);
    s->hiods = g_hash_table_new_full(libvtd_key_hash, libvtd_key_equal, g_free,
                                     libvtd_hiod_free);
    qemu_mutex_init(&s->hiod_lock);
    QLIST_INIT(&s->all);

    memory_region_init_io(&s->mmio, OBJECT(s), &libvtd_mmio_ops, s, "libvtd-iommu",
                          VTD_MMIO_WINDOW);
    sysbus_init_mmio(SYS_BUS_DEVICE(s), &s->mmio);
    sysbus_mmio_map(SYS_BUS_DEVICE(s), 0, VTD_Q35_IOMMU_BASE);

    pci_setup_iommu(s->bus, &libvtd_pci_ops, s);
    /* the I/O APIC's interrupts reach the IOMMU without a requester id;
     * they are remapped as the I/O APIC scope of the DMAR names them */
    s->ioapic_as = libvtd_get_as(s, s->bus, 0, true);
    x86ms->ioapic_as = &s->ioapic_as->as;
}

static void libvtd_unrealize(DeviceState *dev)
{
    LibvtdIOMMUState *s = LIBVTD_IOMMU(dev);

    vtd_iommu_free(s->vtd);
    s->vtd = NULL;
    g_hash_table_destroy(s->hiods);
    qemu_mutex_destroy(&s->hiod_lock);
}

static void libvtd_reset(DeviceState *dev)
{
    LibvtdIOMMUState *s = LIBVTD_IOMMU(dev);

    vtd_iommu_reset(s->vtd);
    libvtd_switch_all(s, false);
}

static int libvtd_pre_save(void *opaque)
{
    LibvtdIOMMUState *s = opaque;
    long n = vtd_iommu_save(s->vtd, NULL, 0);

    if (n < 0) {
        error_report("libvtd-iommu: saving the state: %s", strerror((int)-n));
        return (int)n;
    }
    g_free(s->blob);
    s->blob = g_malloc(n);
    s->blob_len = (uint32_t)n;
    if (vtd_iommu_save(s->vtd, s->blob, n) != n) {
        error_report("libvtd-iommu: the state changed size while being saved");
        return -EIO;
    }
    return 0;
}

static int libvtd_post_save(void *opaque)
{
    LibvtdIOMMUState *s = opaque;

    g_free(s->blob);
    s->blob = NULL;
    s->blob_len = 0;
    return 0;
}

static int libvtd_post_load(void *opaque, int version_id)
{
    LibvtdIOMMUState *s = opaque;
    struct vtd_error err;
    LibvtdAS *vas;

    int r = vtd_iommu_load(s->vtd, s->blob, s->blob_len, &err);
    g_free(s->blob);
    s->blob = NULL;
    s->blob_len = 0;
    if (r) {
        error_report("libvtd-iommu: %s", err.msg);
        return r;
    }
    /* the address spaces, interrupt routes and shadows follow the state */
    libvtd_switch_all(s, true);
    x86_iommu_iec_notify_all(X86_IOMMU_DEVICE(s), true, 0, 0);
    QLIST_FOREACH(vas, &s->all, next) {
        if (vas->ntf) {
            vtd_iommu_notifier_replay(s->vtd, vas->ntf);
        }
    }
    return 0;
}

static const VMStateDescription libvtd_vmstate = {
    .name = "libvtd-iommu",
    .version_id = 1,
    .minimum_version_id = 1,
    .priority = MIG_PRI_IOMMU,
    .pre_save = libvtd_pre_save,
    .post_save = libvtd_post_save,
    .post_load = libvtd_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(blob_len, LibvtdIOMMUState),
        VMSTATE_VBUFFER_ALLOC_UINT32(blob, LibvtdIOMMUState, 1, NULL, blob_len),
        VMSTATE_END_OF_LIST()
    },
};

/* Counters for a harness: qom-get of "x-stats" (a JSON object). */
static char *libvtd_get_stats(Object *obj, Error **errp)
{
    LibvtdIOMMUState *s = LIBVTD_IOMMU(obj);
    struct vtd_iommu_stats st;
    GString *j = g_string_new("{");

    if (!s->vtd) {
        g_string_append(j, "}");
        return g_string_free(j, false);
    }
    vtd_iommu_get_stats(s->vtd, &st);
    g_string_append_printf(j, "\"iotlb_hits\":%" PRIu64 ",\"iotlb_misses\":%" PRIu64
                           ",\"iotlb_invalidated\":%" PRIu64 ",\"context_hits\":%" PRIu64
                           ",\"context_misses\":%" PRIu64 ",\"context_invalidated\":%" PRIu64
                           ",\"qi_descriptors\":[",
                           st.iotlb_hits, st.iotlb_misses, st.iotlb_invalidated,
                           st.context_hits, st.context_misses, st.context_invalidated);
    for (int i = 0; i < 16; i++) {
        g_string_append_printf(j, "%s%" PRIu64, i ? "," : "", st.qi_descriptors[i]);
    }
    g_string_append(j, "]}");
    return g_string_free(j, false);
}

static void libvtd_instance_init(Object *obj)
{
    object_property_add_str(obj, "x-stats", libvtd_get_stats, NULL);
    object_property_add_str(obj, "x-shadow-stats", libvtd_get_shadow, NULL);
}

static void libvtd_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    X86IOMMUClass *x86c = X86_IOMMU_DEVICE_CLASS(klass);
    Property *props = g_new0(Property, LIBVTD_MAX_PROPS + 2);
    size_t n = 0;

    libvtd_nprops = vtd_config_props(&libvtd_props);
    g_assert(libvtd_nprops <= LIBVTD_MAX_PROPS);
    for (size_t i = 0; i < libvtd_nprops; i++) {
        if (libvtd_is_inherited(libvtd_props[i].name)) {
            continue;
        }
        props[n].name = libvtd_props[i].name;
        props[n].info = &qdev_prop_string;
        props[n].offset = offsetof(LibvtdIOMMUState, prop) + i * sizeof(char *);
        n++;
    }
    /* test hook: shadow device 00:SS.F of the root bus through a QEMU
     * IOMMU notifier, as vfio does with caching-mode=on */
    props[n].name = "x-flat-ram";
    props[n].info = &qdev_prop_bool;
    props[n].offset = offsetof(LibvtdIOMMUState, flat_ram);
    props[n].set_default = true;
    props[n].defval.u = true;
    n++;
    props[n].name = "x-shadow";
    props[n].info = &qdev_prop_string;
    props[n].offset = offsetof(LibvtdIOMMUState, shadow_dev);
    n++;
    device_class_set_props_n(dc, props, n);
    for (size_t i = 0; i < libvtd_nprops; i++) {
        if (!libvtd_is_inherited(libvtd_props[i].name)) {
            g_autofree char *d = g_strdup_printf("%s (%s, default %s)", libvtd_props[i].help,
                                                 libvtd_props[i].type, libvtd_props[i].defval);
            object_class_property_set_description(klass, libvtd_props[i].name, d);
        }
    }
    device_class_set_legacy_reset(dc, libvtd_reset);
    dc->vmsd = &libvtd_vmstate;
    dc->hotpluggable = false;
    dc->user_creatable = true;
    dc->unrealize = libvtd_unrealize;
    dc->desc = "Intel IOMMU (VT-d) DMA and interrupt remapping, modelled by libvtd";
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
    x86c->realize = libvtd_realize;
    x86c->int_remap = libvtd_int_remap;
}

static void libvtd_mr_class_init(ObjectClass *klass, void *data)
{
    IOMMUMemoryRegionClass *imrc = IOMMU_MEMORY_REGION_CLASS(klass);

    imrc->translate = libvtd_translate;
    imrc->notify_flag_changed = libvtd_notify_flag_changed;
    imrc->replay = libvtd_replay;
}

static const TypeInfo libvtd_types[] = {
    {
        .name = TYPE_LIBVTD_IOMMU,
        .parent = TYPE_X86_IOMMU_DEVICE,
        .instance_size = sizeof(LibvtdIOMMUState),
        .instance_init = libvtd_instance_init,
        .class_init = libvtd_class_init,
    },
    {
        .name = TYPE_LIBVTD_IOMMU_MEMORY_REGION,
        .parent = TYPE_IOMMU_MEMORY_REGION,
        .class_init = libvtd_mr_class_init,
    },
};

DEFINE_TYPES(libvtd_types)
