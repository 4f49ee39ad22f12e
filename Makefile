# Thin wrapper around meson/ninja (as QEMU wraps meson): `make run` and
# `make test` install what is missing, configure, build and run; `make check`
# is `make test` without the real-kernel test, for daily work.
BUILD      ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
VM_BUILD   ?= build-vm
QEMU_BUILD ?= build-qemu
PREFIX     ?= /usr/local
DESTDIR    ?=
MESON      ?= meson
NINJA      ?= ninja
VTD        := $(BUILD)/tools/vtd/vtd

.PHONY: all bootstrap build run check test install clean clean-vm clean-qemu fuzz fuzz-afl fuzz-cov valgrind abi-check abi-update diff-qemu vm-test qemu qemu-test icount icount-lines bench-compare bench-e2e

all: build

bootstrap:
	@sh scripts/bootstrap.sh

# Configure once; reconfigure when the build files change.
$(BUILD)/build.ninja: meson.build meson_options.txt | bootstrap
	@if [ -d $(BUILD) ] && [ -f $(BUILD)/build.ninja ]; then \
		$(MESON) setup --reconfigure $(BUILD) >/dev/null; \
	else \
		$(MESON) setup $(BUILD) --prefix=$(PREFIX) -Dwerror=true >/dev/null; \
	fi

$(ASAN_BUILD)/build.ninja: meson.build meson_options.txt | bootstrap
	@if [ -d $(ASAN_BUILD) ] && [ -f $(ASAN_BUILD)/build.ninja ]; then \
		$(MESON) setup --reconfigure $(ASAN_BUILD) >/dev/null; \
	else \
		$(MESON) setup $(ASAN_BUILD) -Dwerror=true -Db_sanitize=address,undefined \
			-Db_lundef=false -Dbuildtype=debug >/dev/null; \
	fi

$(TSAN_BUILD)/build.ninja: meson.build meson_options.txt | bootstrap
	@if [ -d $(TSAN_BUILD) ] && [ -f $(TSAN_BUILD)/build.ninja ]; then \
		$(MESON) setup --reconfigure $(TSAN_BUILD) >/dev/null; \
	else \
		$(MESON) setup $(TSAN_BUILD) -Dwerror=true -Db_sanitize=thread \
			-Db_lundef=false -Dbuildtype=debugoptimized >/dev/null; \
	fi

build: bootstrap $(BUILD)/build.ninja
	@out=$$($(NINJA) -C $(BUILD) 2>&1) || { echo "$$out"; exit 1; }

run: build
	@$(VTD) demo

# Every test in the normal build, again under ASan+UBSan, and the unit tests
# (the concurrent ones above all) under TSan.  A shell fragment for the
# recipes of check and test; sets rc=1 when anything fails.
RUN_CHECKS = \
	for b in $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD); do \
		out=$$($(NINJA) -C $$b 2>&1) || { echo "$$out"; exit 1; }; \
	done; \
	$(MESON) test -C $(BUILD) --print-errorlogs --suite libvtd || rc=1; \
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		$(MESON) test -C $(ASAN_BUILD) --print-errorlogs --suite libvtd --no-suite qemu || rc=1; \
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
		$(MESON) test -C $(TSAN_BUILD) --print-errorlogs --suite tsan || rc=1;

# The real-kernel test (tests/vm/README.md); its TAP also lands in
# $(VM_BUILD)/vm-test.tap, which the summary adds in.
RUN_VM = OUT=$(VM_BUILD) sh tests/vm/vm-test.sh </dev/null || rc=1;
# make test's: with QEMU 10.0 + libvtd-iommu built first, for the host check
# in a VMM inside the guest (if the build fails, qemu-test shows why).
RUN_VM_VMM = { OUT=$(QEMU_BUILD) sh integrations/qemu/build.sh >/dev/null 2>&1 || true; }; \
	VMM_QEMU=$(QEMU_BUILD)/qemu-system-x86_64 OUT=$(VM_BUILD) sh tests/vm/vm-test.sh </dev/null || rc=1;
# The QEMU-device test (integrations/qemu/README.md): Linux guests on QEMU
# 10.0 with -device libvtd-iommu; its TAP lands in $(QEMU_BUILD)/qemu-test.tap.
RUN_QEMU = OUT=$(QEMU_BUILD) VM_OUT=$(VM_BUILD) VTD_NATIVE=$(VTD) sh integrations/qemu/test/qemu-test.sh </dev/null || rc=1;

CHECK_DEPS = bootstrap $(BUILD)/build.ninja $(ASAN_BUILD)/build.ninja $(TSAN_BUILD)/build.ninja

# Daily work: everything but the real-kernel test.  The last line is the
# summary ("summary: N passed, N failed, N skipped").
check: $(CHECK_DEPS)
	@rc=0; $(RUN_CHECKS) \
	python3 scripts/test-summary.py $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD); \
	exit $$rc

# What CI runs: check, then the real-kernel test and the QEMU-device test
# (the first time on a machine it installs QEMU and the kernel source,
# builds the guest kernel, about 3 minutes on 2 idle cores, and QEMU 10.0,
# about 7), all counted in one closing summary.
test: $(CHECK_DEPS)
	@sh scripts/bootstrap.sh --vm --qemu
	@rc=0; $(RUN_CHECKS) $(RUN_VM_VMM) $(RUN_QEMU) \
	python3 scripts/test-summary.py --tap $(VM_BUILD)/vm-test.tap \
		--tap $(QEMU_BUILD)/qemu-test.tap $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD); \
	exit $$rc

# QEMU 10.0 from Debian's source with -device libvtd-iommu, built on this
# tree's libvtd: $(QEMU_BUILD)/qemu-system-x86_64 (integrations/qemu/).
qemu: bootstrap
	@sh scripts/bootstrap.sh --qemu
	@OUT=$(QEMU_BUILD) sh integrations/qemu/build.sh

# Linux guests driving libvtd-iommu (legacy, scalable, first stage,
# x2APIC with interrupt remapping); TAP on stdout.
qemu-test: build
	@sh scripts/bootstrap.sh --vm --qemu
	@OUT=$(QEMU_BUILD) VM_OUT=$(VM_BUILD) VTD_NATIVE=$(VTD) sh integrations/qemu/test/qemu-test.sh </dev/null

# Coverage-guided fuzzing with clang's libFuzzer (doc/robustness.md): each
# target for FUZZ_SECONDS on its corpus; new inputs are kept in
# build-fuzz/corpus-<t>, crash/timeout/leak/slow-unit reproducers go to
# build-fuzz/artifacts/ (never the source tree).  Exits 1 if one was written.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= replay config iommufd state caps
FUZZ_FLAGS   ?=
fuzz: bootstrap
	@if [ ! -f build-fuzz/build.ninja ]; then \
		CC=clang $(MESON) setup build-fuzz -Dfuzz=true -Dtests=false \
			-Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debugoptimized >/dev/null; \
	fi
	@$(NINJA) -C build-fuzz >/dev/null
	@mkdir -p build-fuzz/artifacts; rc=0; \
	for t in $(FUZZ_TARGETS); do \
		mkdir -p build-fuzz/corpus-$$t; \
		echo "fuzz_$$t: $(FUZZ_SECONDS) s"; \
		before=$$(ls build-fuzz/artifacts | wc -l); \
		build-fuzz/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			-artifact_prefix=build-fuzz/artifacts/fuzz_$$t- $(FUZZ_FLAGS) \
			build-fuzz/corpus-$$t fuzz/corpus/$$t 2>&1 | \
			grep -E "^(stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss|#[0-9]+[[:space:]]+DONE)|ERROR|SUMMARY|artifact" || true; \
		if [ "$$(ls build-fuzz/artifacts | wc -l)" != "$$before" ]; then \
			ls -t build-fuzz/artifacts | head -n 5 | sed 's|^|  artifact: build-fuzz/artifacts/|'; rc=1; \
		fi; \
	done; exit $$rc

# The same targets under AFL++ (`bootstrap.sh --afl` installs it):
# afl-clang-lto (afl-clang-fast where LTO is not available) with
# ASan+UBSan, linked with AFL++'s libFuzzer-compatible libAFLDriver.a
# (persistent mode), then afl-fuzz on each target for FUZZ_SECONDS (-V),
# seeded from fuzz/corpus/<t>; output in build-afl/out-<t> (resumed when
# present).  Prints execs, execs/s, edges and any crashes; exits 1 on one.
AFL_CC     ?= $(shell command -v afl-clang-lto >/dev/null 2>&1 && echo afl-clang-lto || echo afl-clang-fast)
AFL_DRIVER ?= /usr/lib/afl/libAFLDriver.a
AFL_ENV    := AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 \
	AFL_NO_AFFINITY=1 AFL_AUTORESUME=1
fuzz-afl:
	@sh scripts/bootstrap.sh --afl
	@if [ ! -f build-afl/build.ninja ]; then \
		CC=$(AFL_CC) AR=llvm-ar-14 RANLIB=llvm-ranlib-14 $(MESON) setup build-afl -Dfuzz=true \
			-Dfuzz_driver=$(AFL_DRIVER) -Dtests=false -Db_sanitize=address,undefined \
			-Db_lundef=false -Dbuildtype=debugoptimized >/dev/null; \
	fi
	@out=$$($(NINJA) -C build-afl $(patsubst %,fuzz/fuzz_%,$(FUZZ_TARGETS)) 2>&1) || { echo "$$out"; exit 1; }
	@rc=0; for t in $(FUZZ_TARGETS); do \
		echo "afl fuzz_$$t: $(FUZZ_SECONDS) s"; \
		$(AFL_ENV) afl-fuzz -V $(FUZZ_SECONDS) -i fuzz/corpus/$$t -o build-afl/out-$$t \
			-- build-afl/fuzz/fuzz_$$t >build-afl/out-$$t.log 2>&1 || \
			{ tail -n 20 build-afl/out-$$t.log; rc=1; continue; }; \
		grep -E "^(execs_done|execs_per_sec|edges_found|total_edges|corpus_count|saved_crashes|saved_hangs) " \
			build-afl/out-$$t/default/fuzzer_stats | tr -s ' ' | sed 's/^/  /'; \
		for c in build-afl/out-$$t/default/crashes/id*; do \
			[ -e "$$c" ] && { echo "  crash: $$c"; rc=1; }; \
		done; \
	done; exit $$rc

# Source-based coverage of the library (src/, src/host/) reached by each
# target's corpus (fuzz/corpus/<t> and what make fuzz grew in
# build-fuzz/corpus-<t>), per target and combined: lines, functions,
# regions and branches, with llvm-cov of clang's version (build-cov/).
fuzz-cov: bootstrap
	@sh scripts/fuzz-cov.sh build-cov "$(FUZZ_TARGETS)"

# The library's ABI against abi/libvtd.abi (also part of make test), and
# recording a new baseline after an intended change.
abi-check: build
	@sh scripts/abi-check.sh $(BUILD)/src/libvtd.so.0.1.0 include/vtd abi/libvtd.abi
abi-update: build
	@sh scripts/abi-check.sh --update $(BUILD)/src/libvtd.so.0.1.0 include/vtd abi/libvtd.abi

# The real-kernel integration test alone: a Linux 6.12 guest (built once,
# cached in build-vm/) under QEMU with an emulated intel-iommu and an edu
# device bound to vfio-pci; vtd host probe, vtd check --device and iommufd
# end to end, in legacy and scalable mode.  TAP on stdout; failures print
# the guest console.
vm-test:
	@sh scripts/bootstrap.sh --vm
	@OUT=$(VM_BUILD) sh tests/vm/vm-test.sh </dev/null

# Every unit test under valgrind memcheck (leaks are errors).
valgrind: build
	@$(MESON) test -C $(BUILD) --suite unit --wrapper \
		'valgrind --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite -q' \
		--timeout-multiplier 20 --print-errorlogs

# Instructions per vtd_iommu_translate() call on the translate paths of
# `vtd bench` (IOTLB hit, second-stage, first-stage 4/5-level and nested
# misses, the strict map/DMA/unmap/invalidate cycle), counted by callgrind:
# machine-independent, for comparing commits.
icount: build
	@sh scripts/icount.sh $(VTD)

# Where one scenario's instructions go, line by line of src/ (per request):
# make icount-lines SCENARIO=ss-miss [TOP=40]
SCENARIO ?= iotlb-hit
TOP      ?= 40
icount-lines: build
	@sh scripts/icount-lines.sh $(VTD) $(SCENARIO) $(TOP)

# Instructions per request in libvtd, QEMU 10.0's and QEMU 7.2's intel-iommu
# on the same guest actions (scripts/bench-compare.py); builds QEMU 10.0
# (make qemu) and 7.2 from Debian's sources first, cached.
bench-compare: build qemu
	@OUT=$(BUILD)-qemu72 sh tests/qemu/build-qemu72.sh
	@QEMU100=$(QEMU_BUILD)/qemu-system-x86_64 QEMU72=$(BUILD)-qemu72/qemu-system-x86_64 \
		python3 scripts/bench-compare.py --vtd $(VTD)

# End to end: the same guest I/O (Linux 6.12 streaming 4 KiB O_DIRECT
# requests on virtio-blk, strict unmapping) through QEMU 10.0's intel-iommu
# and through libvtd-iommu, throughput and instructions in the vIOMMU per
# I/O (integrations/qemu/test/bench-e2e.py; also in
# $(QEMU_BUILD)/bench-e2e.json).  Builds, or reuses, what qemu-test uses;
# about 5 minutes on 2 cores, most of it under callgrind.  BENCH_E2E_N, _CG_N,
# _REPEAT, _ACCEL (auto|tcg|kvm) and _MODE (legacy|scalable: the unit's
# mode on both devices) override the defaults.
bench-e2e:
	@sh scripts/bootstrap.sh --vm --qemu
	@set -e; OUT=$(QEMU_BUILD) sh integrations/qemu/build.sh; \
	kernel=$$(OUT=$(VM_BUILD) sh tests/vm/build-kernel.sh); \
	sh tests/vm/guest-tools.sh $(QEMU_BUILD) "$$kernel"; \
	INIT=integrations/qemu/test/bench-init.sh sh tests/vm/mk-initramfs.sh \
		$(QEMU_BUILD)/bench-initramfs.cpio $(QEMU_BUILD)/vtd-static/tools/vtd/vtd \
		$(QEMU_BUILD)/iommufd-e2e; \
	python3 integrations/qemu/test/bench-e2e.py --qemu $(QEMU_BUILD)/qemu-system-x86_64 \
		--kernel "$$kernel" --initrd $(QEMU_BUILD)/bench-initramfs.cpio \
		--logdir $(QEMU_BUILD) </dev/null

install: build
	@$(MESON) configure $(BUILD) --prefix=$(PREFIX) >/dev/null
	@$(NINJA) --quiet -C $(BUILD)
	@DESTDIR=$(DESTDIR) $(MESON) install -C $(BUILD) --no-rebuild --quiet

# clean keeps the guest kernel cache (build-vm/: minutes of CPU to rebuild);
# clean-vm removes it.
clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) build-fuzz build-afl build-cov
clean-vm:
	rm -rf $(VM_BUILD)
# the QEMU build tree itself is cached outside the clone (integrations/qemu/build.sh)
clean-qemu:
	rm -rf $(QEMU_BUILD)

# Differential test against Debian's qemu-system-x86 (QEMU 7.2, issue 14):
# N random legacy-mode scripts from seed SEED on QEMU and on `vtd replay`,
# then the documented QEMU 7.2 deviations (tests/qemu/deviations/).
N    ?= 1000
SEED ?= 1
diff-qemu: build
	@python3 tests/qemu/diffqemu.py --vtd $(VTD) --check-deviations
	@python3 tests/qemu/diffqemu.py --vtd $(VTD) -n $(N) --seed $(SEED) -j 1 --keep $(BUILD)/diff-qemu
