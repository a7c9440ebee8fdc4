#!/usr/bin/env bash
# Reads a whole mounted tree (tar of the mount, through a pipe so tar cannot skip
# the data) through the kernel mount (EROFS + overlayfs), our composefs-fuse and a
# reference composefs-fuse (composefs-c's, built outside this tree), with the page
# cache dropped before each mount. Prints the best wall time of RUNS for each and
# the ratios. Root only (drop_caches, kernel mount).
#   bench/fuse-read.sh [BUILD_DIR] [RUNS] [DIR]
# Defaults: build, 3 runs, /usr/share/doc. REFERENCE=/path/to/composefs-fuse
# (default /tmp/composefs-c/build-fuse/tools/composefs-fuse, skipped if absent).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$here/build}" && pwd)
runs=${2:-3}
dir=${3:-/usr/share/doc}
reference=${REFERENCE:-/tmp/composefs-c/build-fuse/tools/composefs-fuse}
[ "$(id -u)" -eq 0 ] || { echo "bench/fuse-read.sh: run as root (drop_caches, kernel mount)" >&2; exit 1; }
work=$(mktemp -d /var/tmp/fuse-bench.XXXXXX)
mnt=$work/mnt
cleanup() { umount "$mnt" 2> /dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
mkdir "$mnt"

"$build/mkcomposefs/mkcomposefs" --digest-store="$work/objs" "$dir" "$work/img.cfs" > /dev/null
echo "tree: $dir ($(find "$dir" | wc -l) names, $(du -sh "$dir" | cut -f1)); $runs runs each, caches dropped before each mount"

# best LABEL MOUNT_CMD...: mounts on $mnt with the command, times the read, unmounts.
declare -A best
best() {
  local label=$1; shift
  local b=""
  for _ in $(seq "$runs"); do
    sync
    echo 3 > /proc/sys/vm/drop_caches
    "$@"
    local t0 t1 bytes
    t0=$(date +%s.%N)
    bytes=$(tar -cf - -C "$mnt" . | wc -c)
    t1=$(date +%s.%N)
    umount "$mnt"
    local t
    t=$(echo "$t1 - $t0" | bc)
    if [ -z "$b" ] || [ "$(echo "$t < $b" | bc)" = 1 ]; then b=$t; fi
  done
  best[$label]=$b
  printf '%-24s %6.2f s  (%s bytes of tar)\n' "$label" "$b" "$bytes"
}

best kernel "$build/mount-helper/mount.composefs" -o basedir="$work/objs" "$work/img.cfs" "$mnt"
best "composefs-fuse (ours)" "$build/composefs-fuse/composefs-fuse" -o source="$work/img.cfs",basedir="$work/objs" "$mnt"
if [ -x "$reference" ]; then
  best "composefs-fuse (C)" "$reference" -o source="$work/img.cfs",basedir="$work/objs" "$mnt"
  printf 'ours / C:      %.2f\n' "$(echo "${best[composefs-fuse (ours)]} / ${best[composefs-fuse (C)]}" | bc -l)"
fi
printf 'ours / kernel: %.2f\n' "$(echo "${best[composefs-fuse (ours)]} / ${best[kernel]}" | bc -l)"
