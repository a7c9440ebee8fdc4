#!/usr/bin/env bash
# Times composefs-store on a store built from a real tree (page cache warm):
#   1. gc against the image of the whole tree (every object kept: walk + image read),
#   2. gc against the image of one subdirectory (most objects removed),
#   3. fsck of the whole store (every object hashed),
#   4. stat with the whole-tree image.
# Best wall time of N runs; the store is rebuilt before each removing gc.
#   bench/store-gc.sh [BUILD_DIR] [RUNS] [DIRS] [SUBDIR]
# Defaults: build, 3 runs, "/usr/share /usr/include" (about 60,000 objects on
# Debian 12; the tree is assembled from hard links under /var/tmp, or copies where
# that is another filesystem), /usr/share/doc.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
runs=${2:-3}
dirs=${3:-/usr/share /usr/include}
subdir=${4:-/usr/share/doc}
mk=$build/mkcomposefs/mkcomposefs
cs=$build/composefs-store/composefs-store
work=$(mktemp -d /var/tmp/store-gc-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
dir=$work/tree
mkdir -p "$dir"
for d in $dirs; do
  cp -al "$d" "$dir/" 2> /dev/null || cp -a "$d" "$dir/"
done

secs() { date +%s.%N; }
best_of() {  # best_of LABEL SETUP_CMD CMD...: best wall time of CMD, SETUP_CMD before each run
  local label=$1 setup=$2 best="" t0 t1 t; shift 2
  for _ in $(seq "$runs"); do
    eval "$setup"
    t0=$(secs); "$@" > "$work/out"; t1=$(secs)
    t=$(echo "$t1 - $t0" | bc)
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then best=$t; fi
  done
  printf '%-44s %6.3f s   %s\n' "$label" "$best" "$(tail -1 "$work/out" | cut -c1-120)"
}

"$mk" --digest-store="$work/store" "$dir" "$work/all.cfs"
"$mk" --digest-store="$work/store" "$subdir" "$work/sub.cfs"
objects=$(find "$work/store" -mindepth 2 -type f | wc -l)
echo "store: $objects objects from $dir ($(du -sh "$work/store" | cut -f1)); $(nproc) CPUs"
cp -a "$work/store" "$work/pristine"
best_of "gc, every object kept (1 image)" : "$cs" gc --grace=0 "$work/store" "$work/all.cfs"
best_of "gc --dry-run, most objects garbage" : "$cs" gc --dry-run --grace=0 "$work/store" "$work/sub.cfs"
best_of "gc, most objects removed" \
  'rm -rf "$work/store"; cp -a "$work/pristine" "$work/store"; sync' \
  "$cs" gc --grace=0 "$work/store" "$work/sub.cfs"
rm -rf "$work/store"; cp -a "$work/pristine" "$work/store"
best_of "fsck (every object hashed)" : "$cs" fsck "$work/store"
best_of "stat (1 image)" : "$cs" stat "$work/store" "$work/all.cfs"
