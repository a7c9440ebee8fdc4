#!/usr/bin/env bash
# Installs missing build dependencies, builds the tools into ./build and runs
# mkcomposefs on the example shipped in examples/.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/deps.sh
cfs_install_deps

[ -f build/build.ninja ] || meson setup build --buildtype=release >/dev/null
ninja -C build

echo
echo "== mkcomposefs --print-digest --from-file examples/hello.dump build/hello.cfs"
build/mkcomposefs/mkcomposefs --print-digest --from-file examples/hello.dump build/hello.cfs
echo "== made build/hello.cfs: $(stat -c %s build/hello.cfs) bytes (digest above); fsck.erofs says:"
fsck.erofs build/hello.cfs
