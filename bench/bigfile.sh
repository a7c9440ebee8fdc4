#!/usr/bin/env bash
# Big files (issue 16): a 5 GiB sparse file (three 1 MiB data extents, the rest
# holes) and a 1 GiB dense random file, each alone in a directory, through
# `mkcomposefs DIR IMAGE` and `mkcomposefs --digest-store=FRESH_STORE DIR IMAGE`.
# Ours and the reference run alternately, RUNS times each; prints the median wall
# times and ours/reference. The dense file's page cache is warm for every run
# (it is read once before each); store runs start after a `sync`, so each one's
# syncfs writes its own objects, not what earlier runs left dirty.
#   bench/bigfile.sh OURS_MKCOMPOSEFS REFERENCE_MKCOMPOSEFS [RUNS] [WORKDIR]
# Defaults: 5 runs, /var/tmp. WORKDIR needs ~2 GiB free, plus 5 GiB while a tool
# that fills holes (composefs-c 1.0.8) stores the sparse file.
set -euo pipefail
ours=${1:?usage: bigfile.sh OURS REFERENCE [RUNS] [WORKDIR]}
ref=${2:?usage: bigfile.sh OURS REFERENCE [RUNS] [WORKDIR]}
runs=${3:-5}
work=$(mktemp -d "${4:-/var/tmp}/cfs-bigfile-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
MiB=$((1 << 20)) GiB=$((1 << 30))

mkdir -p "$work/sparse" "$work/dense"
truncate -s $((5 * GiB)) "$work/sparse/disk.img"
for off in 0 $((5 * GiB / 2)) $((5 * GiB - MiB)); do
  head -c $MiB /dev/urandom | dd of="$work/sparse/disk.img" bs=64K seek=$off oflag=seek_bytes conv=notrunc status=none
done
head -c $GiB /dev/urandom > "$work/dense/weights.bin"

# one_run BIN DIR STORE|-: wall seconds of one mkcomposefs run.
one_run() {
  local bin=$1 dir=$2 store=$3
  cat "$dir"/* > /dev/null  # page cache warm (holes cost nothing)
  local args=()
  if [ "$store" != - ]; then
    rm -rf "$store"
    sync
    args=(--digest-store="$store")
  fi
  /usr/bin/time -f %e -o "$work/t" "$bin" "${args[@]}" "$dir" "$work/img" > /dev/null
  [ "$store" = - ] || rm -rf "$store"
  cat "$work/t"
}

median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# bench LABEL DIR STORE|-: RUNS alternating runs of each tool, medians and ratio.
bench() {
  local label=$1 dir=$2 store=$3 o=() r=()
  for _ in $(seq "$runs"); do
    o+=("$(one_run "$ours" "$dir" "$store")")
    r+=("$(one_run "$ref" "$dir" "$store")")
  done
  local om rm_
  om=$(printf '%s\n' "${o[@]}" | median)
  rm_=$(printf '%s\n' "${r[@]}" | median)
  awk -v l="$label" -v o="$om" -v r="$rm_" -v os="${o[*]}" -v rs="${r[*]}" 'BEGIN {
    printf "%-34s ours %6.2f s  reference %6.2f s  ratio %.3fx   (ours: %s; reference: %s)\n", l, o, r, o / r, os, rs }'
}

echo "load before: $(uptime)"
echo "$runs runs each, alternating; medians of wall time"
bench "5 GiB sparse, mkcomposefs DIR" "$work/sparse" -
bench "1 GiB dense, mkcomposefs DIR" "$work/dense" -
bench "5 GiB sparse, --digest-store" "$work/sparse" "$work/store"
bench "1 GiB dense, --digest-store" "$work/dense" "$work/store"
echo "load after: $(uptime)"
