#!/usr/bin/env bash
# Runs the whole test suite: a release build with -Werror (unit, golden and tool
# tests), then the same tests under AddressSanitizer + UndefinedBehaviorSanitizer.
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
run_suite build-sanitize --buildtype=debugoptimized -Dwerror=true \
  -Db_sanitize=address,undefined -Db_lundef=false

if [ $status -eq 0 ]; then echo "ALL TESTS PASSED"; else echo "SOME TESTS FAILED"; fi
exit $status
