#!/usr/bin/env bash
# composefs-fuse's command lines, its checks (digest=, verity), bad input as an
# unprivileged user (one message, exit 1, nothing mounted, no daemon left), a
# killed server, and mount.composefs's fallback to it.
#   check-fuse-cli.sh COMPOSEFS_FUSE MKCOMPOSEFS MOUNT_COMPOSEFS SRCDIR
set -uo pipefail
fuse=$1 mk=$2 mount_cfs=$3
here=$(dirname "$0")
. "$here/lib.sh"
export COMPOSEFS_FUSE=$fuse  # mount.composefs's fallback runs this build's server
w=$work

# The image: a few files, one large enough to live in the object store.
mkdir -p "$w/src/dir"
head -c 100000 /dev/urandom > "$w/src/dir/big"
echo small > "$w/src/small"
ln -s dir/big "$w/src/link"
"$mk" --digest-store="$w/objs" "$w/src" "$w/img.cfs" > /dev/null
digest=$("$mk" --print-digest-only "$w/src" 2> /dev/null)
wrong=$(printf '%064d' 0)
head -c 20000 /dev/urandom > "$w/garbage.cfs"
chmod -R a+rX "$w"
user_dir "$w/mnt"

daemons() { pgrep -f -- "$w" | grep -vx $$ | wc -l; }
mounted_ok() { is_mounted "$w/mnt" && as_nobody cmp -s "$w/mnt/dir/big" "$w/src/dir/big"; }
# The server exits on its own after the unmount, a little later: wait for it.
unmount() {
  as_nobody fusermount3 -u "$w/mnt" 2> /dev/null || umount "$w/mnt" 2> /dev/null
  for _ in $(seq 50); do [ "$(daemons)" -eq 0 ] && return; sleep 0.1; done
}

check "--help" bash -c '"$1" --help | grep -q "source=IMAGE"' _ "$fuse"
check "--version" bash -c '"$1" --version | grep -q "^composefs-fuse "' _ "$fuse"

# Good mounts, as nobody.
as_nobody "$fuse" -o source="$w/img.cfs",basedir="$w/objs" "$w/mnt"
check "C command line (-o source=,basedir=) mounts" mounted_ok
unmount
mkdir "$w/empty"
as_nobody "$fuse" -o basedir="$w/empty:$w/objs",digest="$digest",verity "$w/img.cfs" "$w/mnt"
check "IMAGE MOUNTPOINT with basedir=A:B, digest=, verity mounts" mounted_ok
unmount

# Bad input, as nobody: exit 1, one line, no mount, no daemon.
refused() {
  local what=$1; shift
  as_nobody "$@" > "$w/out" 2> "$w/err"
  local rc=$?
  check "$what: exit 1" test $rc -eq 1
  check "$what: one message" test "$(wc -l < "$w/err")" -eq 1
  check "$what: nothing mounted" test "$(is_mounted "$w/mnt" && echo yes)" = ""
  check "$what: no daemon left" test "$(daemons)" -eq 0
  sed 's/^/    /' "$w/err"
  unmount
}
refused "garbage image" "$fuse" -o basedir="$w/objs" "$w/garbage.cfs" "$w/mnt"
refused "missing image" "$fuse" -o basedir="$w/objs" "$w/none.cfs" "$w/mnt"
refused "missing basedir" "$fuse" -o basedir="$w/none" "$w/img.cfs" "$w/mnt"
refused "no basedir" "$fuse" "$w/img.cfs" "$w/mnt"
refused "wrong digest" "$fuse" -o basedir="$w/objs",digest="$wrong" "$w/img.cfs" "$w/mnt"
refused "bad digest" "$fuse" -o basedir="$w/objs",digest=xyz "$w/img.cfs" "$w/mnt"
refused "missing mountpoint" "$fuse" -o basedir="$w/objs" "$w/img.cfs" "$w/none"

# verity: a changed object gives EIO and a log line (stderr in the foreground).
cp -a "$w/objs" "$w/bad-objs"
obj=$(cd "$w/bad-objs" && find . -type f | head -1)
printf 'X' | dd of="$w/bad-objs/$obj" bs=1 seek=10 conv=notrunc status=none
as_nobody "$fuse" -f -o basedir="$w/bad-objs",verity "$w/img.cfs" "$w/mnt" 2> "$w/log" &
fg_pid=$!
for _ in $(seq 50); do is_mounted "$w/mnt" && break; sleep 0.1; done
check "verity: a changed object reads as EIO" as_nobody bash -c 'cat "$1" 2>&1 >/dev/null | grep -q "Input/output error"' _ "$w/mnt/dir/big"
check "verity: the small file still reads" as_nobody cmp -s "$w/mnt/small" "$w/src/small"
unmount
wait $fg_pid
check "verity: the mismatch is logged" grep -q "fs-verity digest" "$w/log"

# A killed server leaves a dead mount that fusermount3 -u clears.
as_nobody "$fuse" -o basedir="$w/objs" "$w/img.cfs" "$w/mnt"
pid=$(pgrep -f -- "$w/img.cfs $w/mnt" | head -1)
kill -9 "$pid"
sleep 0.2
check "killed server: the mountpoint errors" bash -c '! ls "$1" > /dev/null 2>&1' _ "$w/mnt"
as_nobody fusermount3 -u "$w/mnt"
check "killed server: fusermount3 -u clears it" test "$(is_mounted "$w/mnt" && echo yes)" = ""

# mount.composefs: nobody falls back to FUSE; nofuse forbids it; root's fuse forces it.
as_nobody "$mount_cfs" -o basedir="$w/objs" "$w/img.cfs" "$w/mnt"
check "mount.composefs as nobody falls back to composefs-fuse" mounted_ok
check "the fallback mount is composefs-fuse's" test "$(findmnt -rn -o FSTYPE --mountpoint "$w/mnt")" = fuse.composefs
unmount
refused "mount.composefs -o nofuse as nobody" "$mount_cfs" -o basedir="$w/objs",nofuse "$w/img.cfs" "$w/mnt"
check "its message names the kernel mount" grep -q "EROFS\|erofs" "$w/err"
COMPOSEFS_FUSE=$w/no-such-program refused "mount.composefs without composefs-fuse" \
  "$mount_cfs" -o basedir="$w/objs" "$w/img.cfs" "$w/mnt"
check "its message names both ways tried" grep -q "tried the kernel.*no-such-program" "$w/err"
"$mount_cfs" -o basedir="$w/objs",fuse "$w/img.cfs" "$w/mnt"
check "mount.composefs -o fuse as root uses composefs-fuse" \
  test "$(findmnt -rn -o FSTYPE --mountpoint "$w/mnt")" = fuse.composefs
check "... and serves the data" cmp -s "$w/mnt/dir/big" "$w/src/dir/big"
umount "$w/mnt"
check "root's umount unmounts it" test "$(is_mounted "$w/mnt" && echo yes)" = ""
finish
