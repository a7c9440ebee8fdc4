#!/usr/bin/env bash
# mtimes outside 32-bit time_t (issue 23): a tree with files dated before 1901,
# after 2038 and before 1970 with nanoseconds gives, through `mkcomposefs DIR`,
# the image `mkcomposefs --from-file` makes from the dump that describes it; on
# i386 a stat() with the platform's 32-bit time_t used to fail with EOVERFLOW.
#   check-times.sh MKCOMPOSEFS COMPOSEFS_INFO
set -uo pipefail
mk=$1 info=$2
# tmpfs keeps any 64-bit time; ext4 clamps to 1901..2446.
work=$(mktemp -d -p /dev/shm 2> /dev/null || mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
check() { local what=$1; shift; if "$@"; then echo "ok - $what"; pass=$((pass + 1)); else echo "FAIL - $what"; fail=$((fail + 1)); fi; }

t=$work/tree
mkdir -p "$t/d"
# name  mtime (UTC, touch -d)            epoch seconds.nanoseconds in the dump
cases=(
  "old 1800-01-01T00:00:00.25Z"
  "y1901 1901-12-13T20:45:51Z"
  "pre1970 1969-12-31T23:59:59.999999999Z"
  "y2038 2038-01-19T03:14:08Z"
  "far 2100-06-01T12:00:00.5Z"
)
for c in "${cases[@]}"; do
  read -r name when <<< "$c"
  printf 'x' > "$t/$name"
  chmod 644 "$t/$name"
  touch -h -d "$when" "$t/$name"
done
chmod 755 "$t" "$t/d"
touch -d 2200-01-01T00:00:00Z "$t/d"
touch -d 1850-01-01T00:00:00Z "$t"
# The times as the filesystem keeps them, as a dump writes them: whole seconds
# (floor, negative before 1970) and nanoseconds 0..999999999.
stamp() { python3 -c 'import os,sys; s, ns = divmod(os.lstat(sys.argv[1]).st_mtime_ns, 10**9); print(f"{s}.{ns:09d}")' "$1"; }
echo "times kept: $(for f in "$t" "$t"/*; do printf '%s=%s ' "${f#"$t"}" "$(stamp "$f")"; done)"
[[ $(stamp "$t/old") == -5364662400.250000000 ]] || echo "note: this filesystem clamps times before 1901; checking what it keeps"

out=$("$mk" "$t" "$work/dir.cfs" 2>&1)
check "mkcomposefs DIR takes mtimes outside 32-bit time_t ($out)" test -s "$work/dir.cfs"

uid=$(id -u) gid=$(id -g)
{
  echo "/ 0 40755 2 $uid $gid 0 $(stamp "$t") - - -"
  echo "/d 0 40755 2 $uid $gid 0 $(stamp "$t/d") - - -"
  for c in "${cases[@]}"; do
    read -r name _ <<< "$c"
    echo "/$name 1 100644 1 $uid $gid 0 $(stamp "$t/$name") - x -"
  done
} > "$work/tree.dump"
"$mk" --from-file "$work/tree.dump" "$work/dump.cfs"
check "the same image as --from-file of the dump" cmp "$work/dir.cfs" "$work/dump.cfs"
listing=$("$info" dump "$work/dir.cfs" 2>&1)
for name in old far; do
  check "composefs-info dump shows /$name's time" grep -q "^/$name 1 100644 1 $uid $gid 0 $(stamp "$t/$name") " <<< "$listing"
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
