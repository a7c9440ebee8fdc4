#!/usr/bin/env bash
# Times `mkcomposefs DIR IMAGE` (page cache warm) and `mkcomposefs --digest-store=S DIR
# IMAGE` with a fresh store each run: best wall time of N runs and peak RSS.
#   bench/mkcomposefs-dir.sh [MKCOMPOSEFS] [RUNS] [DIR] [STORE_DIR]
# Defaults: build/mkcomposefs/mkcomposefs, 3 runs, /usr/share, /usr/share/doc.
# REFERENCE=/path/to/other/mkcomposefs times a second binary the same way.
# FRESH_FS=1 (root): each store run writes to a newly made ext4 filesystem (a loop
# image under /var/tmp), so ext4's inode allocator does not first walk past the
# inodes the previous run deleted; on a long-used filesystem that walk dominates.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
mk=${1:-$here/build/mkcomposefs/mkcomposefs}
runs=${2:-3}
dir=${3:-/usr/share}
store_dir=${4:-/usr/share/doc}
work=$(mktemp -d)
fs_img=/var/tmp/mkcomposefs-bench-$$.img
cleanup() {
  umount -q "$work/fs" 2>/dev/null || true
  rm -rf "$work" "$fs_img"
}
trap cleanup EXIT
store=$work/store

fresh_store() {  # empties the store; with FRESH_FS=1 on a new filesystem
  if [ "${FRESH_FS:-0}" = 1 ]; then
    umount -q "$work/fs" 2>/dev/null || true
    rm -f "$fs_img" && truncate -s 2G "$fs_img" && mkfs.ext4 -q -F "$fs_img"
    mkdir -p "$work/fs" && mount -o loop "$fs_img" "$work/fs"
    store=$work/fs/store
  else
    rm -rf "$store"
  fi
}

best_of() {  # best_of LABEL CMD...: prints best wall time and peak RSS; @STORE@ in CMD is the store
  local label=$1 best="" rss=0; shift
  fresh_store
  "${@//@STORE@/$store}" > /dev/null 2>&1  # warm the page cache
  for _ in $(seq "$runs"); do
    fresh_store
    sync  # each run flushes its own writes, not what earlier runs left dirty
    /usr/bin/time -f "%e %M" -o "$work/t" "${@//@STORE@/$store}" > /dev/null
    read -r secs kb < "$work/t"
    if [ -z "$best" ] || awk "BEGIN{exit !($secs < $best)}"; then best=$secs; fi
    [ "$kb" -gt "$rss" ] && rss=$kb
  done
  printf '%-44s best of %d: %5.2f s wall, peak RSS %d MiB\n' "$label" "$runs" "$best" $((rss / 1024))
}

for bin in "$mk" ${REFERENCE:+"$REFERENCE"}; do
  name=$([ "$bin" = "$mk" ] && echo ours || echo reference)
  best_of "$name: mkcomposefs $dir" "$bin" "$dir" "$work/img"
  best_of "$name: --digest-store (fresh) $store_dir" "$bin" --digest-store=@STORE@ "$store_dir" "$work/img"
done
