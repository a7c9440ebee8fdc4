#!/usr/bin/env bash
# composefs-fuse's memory on big images: the server's RSS and open fds once
# mounted and after a walk that stats every name and reads every xattr, on
#   million:  the cs9 developer dump 16 times over (1,027,937 entries);
#   bigdir:   one directory of 100,000 files;
#   xattrs:   2,000 files, each with one distinct xattr value of 32,700 bytes
#             (near the 32 KiB of xattrs the writer lets one inode have).
# No objects are needed: a walk reads metadata only. Run as root (the mount and
# the walk run as nobody).   bench/fuse-memory.sh [BUILD_DIR] [CASE...]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$here/build}" && pwd)
shift || true
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(million bigdir xattrs)
[ "$(id -u)" -eq 0 ] || { echo "bench/fuse-memory.sh: run as root" >&2; exit 1; }
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; }

work=$(mktemp -d /var/tmp/fuse-memory.XXXXXX)
chmod 755 "$work"
mnt=$work/mnt
fuse_mode=$(stat -c %a /dev/fuse)
[ "$fuse_mode" = 666 ] || chmod 666 /dev/fuse
cleanup() {
  as_nobody fusermount3 -u "$mnt" 2> /dev/null || umount -l "$mnt" 2> /dev/null || true
  [ "$fuse_mode" = 666 ] || chmod "$fuse_mode" /dev/fuse
  rm -rf "$work"
}
trap cleanup EXIT
mkdir "$mnt" "$work/objs"
chown nobody:nogroup "$mnt"

make_dump() {
  case $1 in
    million) python3 "$here/bench/multiply-dump.py" "$here/tests/golden/upstream/cs9-x86_64-developer.dump.gz" 16 ;;
    bigdir) python3 -c '
print("/ 0 40755 2 0 0 0 0.0 - - -")
print("/d 0 40755 2 0 0 0 0.0 - - -")
for i in range(100000):
    print(f"/d/file-{i:06d} 100 100644 1 0 0 0 0.0 {i % 256:02x}/{i:062x} - -")' ;;
    xattrs) python3 -c '
import random, string
random.seed(1)
print("/ 0 40755 2 0 0 0 0.0 - - -")
for i in range(2000):
    v = "".join(random.choices(string.ascii_letters, k=32700))
    print(f"/f{i:04d} 0 100644 1 0 0 0 0.0 - - - user.big={v}")' ;;
  esac
}

printf '%-8s %9s %9s %12s %12s %6s %12s\n' case entries image "RSS mounted" "RSS walked" fds "peak RSS"
for c in "${cases[@]}"; do
  make_dump "$c" > "$work/$c.dump"
  "$build/mkcomposefs/mkcomposefs" --from-file "$work/$c.dump" "$work/$c.cfs"
  chmod 644 "$work/$c.cfs"
  entries=$(wc -l < "$work/$c.dump")
  rm "$work/$c.dump"
  setpriv --reuid=nobody --regid=nogroup --clear-groups -- \
    "$build/composefs-fuse/composefs-fuse" -f -o basedir="$work/objs" "$work/$c.cfs" "$mnt" 2> "$work/log" &
  server=$!
  for _ in $(seq 600); do findmnt -rn --mountpoint "$mnt" > /dev/null && break; sleep 0.1; done
  rss0=$(awk '/^VmRSS/ {print $2}' /proc/$server/status)
  as_nobody find "$mnt" -printf '%s %m %u\n' > /dev/null 2>&1 || true  # some directories are 0700 root
  as_nobody getfattr -R -d -m - "$mnt" > /dev/null 2>&1 || true
  rss1=$(awk '/^VmRSS/ {print $2}' /proc/$server/status)
  hwm=$(awk '/^VmHWM/ {print $2}' /proc/$server/status)
  fds=$(ls /proc/$server/fd | wc -l)
  as_nobody fusermount3 -u "$mnt"
  wait $server
  printf '%-8s %9s %8sM %10s K %10s K %6s %10s K\n' "$c" "$entries" "$(($(stat -c %s "$work/$c.cfs") >> 20))" \
    "$rss0" "$rss1" "$fds" "$hwm"
  rm "$work/$c.cfs"
done
