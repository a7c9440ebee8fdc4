#!/usr/bin/env bash
# Runs the whole test suite: a release build with -Werror (unit, golden and tool
# tests), the VM suites (tests/vm) with it, then the same tests under
# AddressSanitizer + UndefinedBehaviorSanitizer, then other architectures.
# Exits non-zero on any failure; meson prints the Ok/Fail summary of each run.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/deps.sh
cfs_install_deps --tests

status=0
run_suite() {  # run_suite BUILDDIR MESON_SETUP_ARGS...
  local dir=$1; shift
  [ -f "$dir/build.ninja" ] || meson setup "$dir" "$@" >/dev/null
  ninja -C "$dir" >/dev/null
  echo "== meson test in $dir"
  meson test -C "$dir" --print-errorlogs --num-processes 2 || status=1
}

run_suite build-test --buildtype=release -Dwerror=true

# The VM suites (tests/vm, README "Kernels and fs-verity"): Debian 12's 6.1 and
# 6.12 kernels booted under qemu, fs-verity and the mount paths for real; with KVM
# where it works, else emulated (TCG), about 2.5 minutes for both.
vm_pass() {
  echo "== VM suites in build-test: tests/vm/run ${CFS_VM_KERNELS[*]} (meson test --suite vm)"
  if [ "${CFS_SKIP_VM:-}" = 1 ]; then echo "skipped: VM suites (CFS_SKIP_VM=1)"; return; fi
  local k
  for k in "${CFS_VM_KERNELS[@]}"; do
    cfs_vm_kernel "$k" > /dev/null || echo "no Debian kernel $k to boot: its suite will skip"
  done
  [ -w /dev/kvm ] || echo "no KVM (/dev/kvm): the guests run emulated (TCG)"
  meson test -C build-test --suite vm --num-processes 1 --print-errorlogs || status=1
  grep -h '^SKIP: ' build-test/meson-logs/testlog.txt | sed 's/^SKIP: /skipped: /' || true
}
vm_pass
run_suite build-sanitize --buildtype=debugoptimized -Dwerror=true \
  -Db_sanitize=address,undefined -Db_lundef=false

# Other Debian architectures (scripts/cross-test.sh, README "Architectures"): the
# i386 pass runs natively; s390x (big-endian, under qemu-user) checks that the
# golden corpus gives the same images as this build. Exit 77: toolchain unavailable.
cross_pass() {  # cross_pass ARCH MODE
  echo "== scripts/cross-test.sh $1 $2"
  local rc=0
  CFS_NATIVE_BUILD=build-test scripts/cross-test.sh "$1" "$2" || rc=$?
  if [ $rc -eq 77 ]; then echo "skipped: $1 (cross toolchain not available)";
  elif [ $rc -ne 0 ]; then status=1; fi
}
if [ "${CFS_SKIP_CROSS:-}" = 1 ]; then
  echo "skipped: cross-architecture passes (CFS_SKIP_CROSS=1)"
else
  cross_pass i386 full
  cross_pass s390x golden
fi

if [ $status -eq 0 ]; then echo "ALL TESTS PASSED"; else echo "SOME TESTS FAILED"; fi
exit $status
