#!/usr/bin/env bash
# Times `mount.composefs IMAGE MNT -o basedir=STORE` + `umount MNT` (root only):
# N rounds, ours and the reference alternating, median milliseconds per round.
#   bench/mount-umount.sh OUR_MOUNT_COMPOSEFS REFERENCE_MOUNT_COMPOSEFS [ROUNDS [OUR_EXTRA_OPTIONS]]
# OUR_EXTRA_OPTIONS (e.g. ",nosuid,nodev,nofail") are appended to our option string
# only (composefs-c refuses them): the cost of loading libmount for fstab options.
# The image is a small tree (examples/tree) with its store; what is measured is
# the helper's start-up (loading its libraries) and the kernel mounts.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
ours=$1 ref=$2 rounds=${3:-200} extra=${4:-}
[ "$(id -u)" = 0 ] || { echo "needs root (mounts)"; exit 1; }
mk=$(dirname "$(dirname "$ours")")/mkcomposefs/mkcomposefs
work=$(mktemp -d)
trap 'umount -q "$work/mnt" 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir "$work/mnt"
"$mk" --digest-store="$work/store" "$here/examples/tree" "$work/img.cfs"

round() {  # round HELPER [EXTRA] -> nanoseconds for one mount + umount
  local t0 t1
  t0=$(date +%s%N)
  "$1" "$work/img.cfs" "$work/mnt" -o "basedir=$work/store${2:-}"
  umount "$work/mnt"
  t1=$(date +%s%N)
  echo $((t1 - t0))
}

: > "$work/ours" && : > "$work/ref"
for _ in $(seq "$rounds"); do
  round "$ours" "$extra" >> "$work/ours"
  round "$ref" >> "$work/ref"
done
median() { sort -n "$1" | awk '{a[NR]=$1} END {printf "%.2f", a[int((NR+1)/2)] / 1e6}'; }
mo=$(median "$work/ours") mr=$(median "$work/ref")
printf 'mount+umount, median of %d rounds: ours %s ms, reference %s ms, ratio %.2f\n' \
  "$rounds" "$mo" "$mr" "$(awk "BEGIN{print $mo / $mr}")"
