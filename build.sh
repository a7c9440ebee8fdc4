#!/usr/bin/env bash
# Installs missing build dependencies, builds the tools into ./build and runs
# mkcomposefs on the example tree and the example dump shipped in examples/.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/deps.sh
cfs_install_deps

[ -f build/build.ninja ] || meson setup build --buildtype=release -Dtests=false >/dev/null
ninja -C build

echo
echo "== mkcomposefs --digest-store=build/example-objects --print-digest examples/tree build/example.cfs"
rm -rf build/example-objects
build/mkcomposefs/mkcomposefs --digest-store=build/example-objects --print-digest examples/tree build/example.cfs
echo "== made build/example.cfs ($(stat -c %s build/example.cfs) bytes) and $(find build/example-objects -type f | wc -l) object(s) in build/example-objects:"
build/composefs-info/composefs-info ls build/example.cfs
echo
echo "== the same from a dump file: mkcomposefs --from-file examples/hello.dump build/hello.cfs"
build/mkcomposefs/mkcomposefs --print-digest --from-file examples/hello.dump build/hello.cfs
fsck.erofs build/hello.cfs && echo "fsck.erofs: build/hello.cfs is a valid EROFS image"
