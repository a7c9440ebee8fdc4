#!/usr/bin/env bash
# composefs-info dump, ls and objects: ours against a reference composefs-info
# (composefs-c 1.0.8's), on a 64k-entry and a 1M-entry image made from the CentOS
# developer dump (tests/golden/upstream, copied COPIES times under /rN by
# bench/multiply-dump.py). Runs alternate ours/reference; prints the median wall
# time and median peak RSS (/usr/bin/time -f '%e %M') of each, the ratios, that
# the outputs are identical, and the load (uptime).
#   bench/info-stream.sh REFERENCE_COMPOSEFS_INFO [BUILD_DIR] [RUNS] [WORK_DIR]
# Defaults: build, 5 runs, a temporary directory under /var/tmp (about 400 MB).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
ref=${1:?usage: $0 REFERENCE_COMPOSEFS_INFO [BUILD_DIR] [RUNS] [WORK_DIR]}
build=${2:-$here/build}
runs=${3:-5}
ours=$build/composefs-info/composefs-info
mk=$build/mkcomposefs/mkcomposefs
if [ -n "${4:-}" ]; then work=$4; mkdir -p "$work"; else
  work=$(mktemp -d /var/tmp/info-stream-bench.XXXXXX); trap 'rm -rf "$work"' EXIT; fi

# make_image COPIES: $work/cN.cfs (kept between runs when WORK_DIR is given).
make_image() {
  local n=$1
  [ -s "$work/c$n.cfs" ] && return
  python3 "$here/bench/multiply-dump.py" "$here/tests/golden/upstream/cs9-x86_64-developer.dump.gz" "$n" > "$work/c$n.dump"
  "$mk" --from-file "$work/c$n.dump" "$work/c$n.cfs"
  rm -f "$work/c$n.dump"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

# bench_one IMAGE CMD: alternating runs, then one line of figures.
bench_one() {
  local img=$1 cmd=$2 i
  : > "$work/t.ours"; : > "$work/t.ref"
  for i in $(seq "$runs"); do
    /usr/bin/time -f '%e %M' -o "$work/one" "$ours" "$cmd" "$img" > "$work/out.ours"; cat "$work/one" >> "$work/t.ours"
    /usr/bin/time -f '%e %M' -o "$work/one" "$ref" "$cmd" "$img" > "$work/out.ref"; cat "$work/one" >> "$work/t.ref"
  done
  local same=identical
  cmp -s "$work/out.ours" "$work/out.ref" || same=DIFFERENT
  local ot or_ rt rr
  ot=$(cut -d' ' -f1 "$work/t.ours" | median); or_=$(cut -d' ' -f2 "$work/t.ours" | median)
  rt=$(cut -d' ' -f1 "$work/t.ref" | median); rr=$(cut -d' ' -f2 "$work/t.ref" | median)
  printf '%-8s %-9s ours %6.2f s %7.1f MiB   ref %6.2f s %7.1f MiB   time %.2fx  rss %.3fx  output %s\n' \
    "$(basename "$img" .cfs)" "$cmd" "$ot" "$(echo "$or_ / 1024" | bc -l)" "$rt" "$(echo "$rr / 1024" | bc -l)" \
    "$(echo "$ot / $rt" | bc -l)" "$(echo "$or_ / $rr" | bc -l)" "$same"
}

make_image 1
make_image 16
echo "# $(uptime)"
echo "# images: c1 $(stat -L -c %s "$work/c1.cfs") bytes, c16 $(stat -L -c %s "$work/c16.cfs") bytes; $runs runs each, medians"
for img in "$work/c1.cfs" "$work/c16.cfs"; do
  for cmd in dump ls objects; do bench_one "$img" "$cmd"; done
done
echo "# $(uptime)"
