#!/usr/bin/env bash
# Times `mkcomposefs --from-file` on the cs9-x86_64-developer dump (64,246 entries):
# wall time (best of N runs) and peak RSS. Page cache warm, output on the same disk.
#   bench/mkcomposefs-from-file.sh [MKCOMPOSEFS] [RUNS]
# Set REFERENCE=/path/to/other/mkcomposefs to time a second binary on the same input
# (the C tool does not read gzip, so the dump is decompressed first for both).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
mk=${1:-$here/build/mkcomposefs/mkcomposefs}
runs=${2:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gzip -dc "$here/tests/golden/upstream/cs9-x86_64-developer.dump.gz" > "$work/in.dump"

bench() {  # bench NAME BINARY
  local best="" rss=0
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %M" -o "$work/t" "$2" --from-file "$work/in.dump" "$work/out.cfs"
    read -r secs kb < "$work/t"
    if [ -z "$best" ] || awk "BEGIN{exit !($secs < $best)}"; then best=$secs; fi
    [ "$kb" -gt "$rss" ] && rss=$kb
  done
  printf '%-12s best of %d: %5.2f s wall, peak RSS %d MiB, image sha256 %s\n' "$1" "$runs" "$best" \
    $((rss / 1024)) "$(sha256sum < "$work/out.cfs" | cut -c1-16)"
}

bench ours "$mk"
[ -n "${REFERENCE:-}" ] && bench reference "$REFERENCE"
exit 0
