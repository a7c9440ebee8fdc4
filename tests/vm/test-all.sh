#!/usr/bin/env bash
# Every VM suite in one boot: verity, then mount. Exits 1 if one failed, 77 if
# all were skipped.
set -uo pipefail
here=$(dirname "$0")
failed=() ran=0
for t in verity mount; do
  start=$SECONDS
  bash "$here/test-$t.sh"
  status=$?
  echo "cfs-vm: suite $t: status $status in $((SECONDS - start)) s"
  case $status in
    0) ran=$((ran + 1)) ;;
    77) ;;
    *) failed+=("$t") ;;
  esac
done
[ ${#failed[@]} -eq 0 ] || { echo "cfs-vm: failed: ${failed[*]}"; exit 1; }
[ $ran -gt 0 ] || exit 77
