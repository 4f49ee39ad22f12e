#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Add the libvtd-iommu device to an extracted QEMU 10.0 source tree.

usage: patch-qemu.py QEMU_SRC GLUE_DIR

The device's own files are linked in (so an edit of the glue is an
incremental rebuild); everything else QEMU needs is these few lines, each
applied once (the script is idempotent) and each failing loudly if the
source does not look as expected:
  meson.build            no EDK2 blobs to unpack (the +ds tarball has none)
  hw/i386/meson.build    compile libvtd-iommu.c against libvtd (pkg-config)
  hw/i386/pc_q35.c       -device libvtd-iommu allowed on q35, as intel-iommu
  hw/i386/acpi-build.c   the DMAR table from libvtd for libvtd-iommu
"""
import os
import sys

MARK = "libvtd-iommu"


def edit(path, old, new, count=1):
    with open(path) as f:
        text = f.read()
    if new in text:
        return
    if text.count(old) != count:
        sys.exit(f"patch-qemu: {path}: expected {count} occurrence(s) of {old!r}")
    with open(path, "w") as f:
        f.write(text.replace(old, new))


def link(target, name):
    if os.path.islink(name) or os.path.exists(name):
        os.remove(name)
    os.symlink(os.path.abspath(target), name)


def main():
    src, glue = sys.argv[1], sys.argv[2]
    j = lambda *p: os.path.join(src, *p)
    link(os.path.join(glue, "libvtd-iommu.c"), j("hw/i386/libvtd-iommu.c"))
    link(os.path.join(glue, "libvtd-iommu.h"), j("include/hw/i386/libvtd-iommu.h"))

    edit(j("meson.build"), "    unpack_edk2_blobs = bzip2.found()\n",
         "    unpack_edk2_blobs = false  # libvtd: the +ds tarball has no EDK2 blobs\n")
    edit(j("hw/i386/meson.build"),
         "i386_ss.add(when: 'CONFIG_VTD', if_true: files('intel_iommu.c'))\n",
         "i386_ss.add(when: 'CONFIG_VTD', if_true: files('intel_iommu.c'))\n"
         "# libvtd-iommu: VT-d modelled by libvtd (integrations/qemu in libvtd)\n"
         "i386_ss.add(when: 'CONFIG_VTD', if_true: [files('libvtd-iommu.c'),\n"
         "            dependency('libvtd', method: 'pkg-config', static: true)])\n")
    edit(j("hw/i386/pc_q35.c"),
         "    machine_class_allow_dynamic_sysbus_dev(m, TYPE_INTEL_IOMMU_DEVICE);\n",
         "    machine_class_allow_dynamic_sysbus_dev(m, TYPE_INTEL_IOMMU_DEVICE);\n"
         "    machine_class_allow_dynamic_sysbus_dev(m, \"libvtd-iommu\");\n")
    edit(j("hw/i386/acpi-build.c"), '#include "hw/acpi/viot.h"\n',
         '#include "hw/acpi/viot.h"\n#include "hw/i386/libvtd-iommu.h"\n')
    edit(j("hw/i386/acpi-build.c"),
         "    } else if (object_dynamic_cast(OBJECT(iommu), TYPE_INTEL_IOMMU_DEVICE)) {\n",
         "    } else if (object_dynamic_cast(OBJECT(iommu), TYPE_LIBVTD_IOMMU)) {\n"
         "        acpi_add_table(table_offsets, tables_blob);\n"
         "        libvtd_iommu_build_dmar(tables_blob, tables->linker, x86ms->oem_id,\n"
         "                                x86ms->oem_table_id);\n"
         "    } else if (object_dynamic_cast(OBJECT(iommu), TYPE_INTEL_IOMMU_DEVICE)) {\n")


if __name__ == "__main__":
    main()
