#!/usr/bin/env bash
# Times `mkcomposefs DIR IMAGE` (page cache warm) and `mkcomposefs --digest-store=S DIR
# IMAGE` with a fresh store each run: best wall time of N runs and peak RSS.
#   bench/mkcomposefs-dir.sh [MKCOMPOSEFS] [RUNS] [DIR] [STORE_DIR]
# Defaults: build/mkcomposefs/mkcomposefs, 3 runs, /usr/share, /usr/share/doc.
# REFERENCE=/path/to/other/mkcomposefs times a second binary the same way.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
mk=${1:-$here/build/mkcomposefs/mkcomposefs}
runs=${2:-3}
dir=${3:-/usr/share}
store_dir=${4:-/usr/share/doc}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

best_of() {  # best_of LABEL CMD...: prints best wall time and peak RSS
  local label=$1 best="" rss=0; shift
  "$@" > /dev/null 2>&1  # warm the page cache
  for _ in $(seq "$runs"); do
    rm -rf "$work/store"
    sync  # each run flushes its own writes, not what earlier runs left dirty
    /usr/bin/time -f "%e %M" -o "$work/t" "$@" > /dev/null
    read -r secs kb < "$work/t"
    if [ -z "$best" ] || awk "BEGIN{exit !($secs < $best)}"; then best=$secs; fi
    [ "$kb" -gt "$rss" ] && rss=$kb
  done
  printf '%-44s best of %d: %5.2f s wall, peak RSS %d MiB\n' "$label" "$runs" "$best" $((rss / 1024))
}

for bin in "$mk" ${REFERENCE:+"$REFERENCE"}; do
  name=$([ "$bin" = "$mk" ] && echo ours || echo reference)
  best_of "$name: mkcomposefs $dir" "$bin" "$dir" "$work/img"
  best_of "$name: --digest-store (fresh) $store_dir" "$bin" --digest-store="$work/store" "$store_dir" "$work/img"
done
