#!/usr/bin/env bash
# Real mounts with mount.composefs: content and metadata match the source tree,
# every option, clean failures, and nothing (mount, loop device, temporary
# directory) left behind. Each case runs on every code path, forced through
# CFS_MOUNT_FORCE (see lib/mount/mount.hpp).
#   check-mount.sh MKCOMPOSEFS MOUNT_COMPOSEFS TREE_MANIFEST
# Exits 77 (skipped) without root or without kernel erofs/overlay support.
set -uo pipefail
mk=$1
mc=$2
tm=$3

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "mount tests need root"
for fs in erofs overlay; do
  grep -qw "$fs" /proc/filesystems || modprobe "$fs" 2> /dev/null
  grep -qw "$fs" /proc/filesystems || skip "kernel has no $fs"
done

work=$(mktemp -d /tmp/cfs-mount-test.XXXXXX)
cleanup() {
  # Innermost first; anything still mounted here is a failure already reported.
  grep -F " $work/" /proc/self/mountinfo | awk '{print $5}' | sort -r | while read -r m; do umount -l "$m"; done
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/probe"
mount -t tmpfs none "$work/probe" 2> /dev/null || skip "mounting is not permitted here"
umount "$work/probe"

pass=0 fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
bad() { echo "FAIL - $1"; fail=$((fail + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

src=$work/src mnt=$work/mnt img=$work/img.cfs
tmp_dirs() { ls -d /tmp/.composefs.* 2> /dev/null | sort; }
tmp_before=$(tmp_dirs)

# ---- the source tree ----------------------------------------------------
make_tree() {
  mkdir -p "$src/dir/sub" "$src/sticky" "$src/$(printf 'd%.0s' {1..200})"
  for n in 0 1 63 64 65 511 4095 4096 4097 65535 65536 1048577 3000000; do
    head -c "$n" /dev/urandom > "$src/f_$n"
  done
  cp "$src/f_4096" "$src/dir/dup_4096"          # same object twice
  echo nested > "$src/dir/sub/nested"
  head -c 300 /dev/urandom > "$src/$(printf 'n%.0s' {1..255})"
  ln -s f_1 "$src/link"
  ln -s /nonexistent/target "$src/dangling"
  ln -s "$(printf 'x/%.0s' {1..500})end" "$src/longlink"
  mknod "$src/chr" c 1 3
  mknod "$src/blk" b 7 200
  mkfifo "$src/fifo"
  "$tm" setxattr "$src/f_1" user.foo bar
  "$tm" setxattr "$src/f_65536" user.empty ""
  "$tm" setxattr "$src/f_65536" user.other "$(printf 'v%.0s' {1..300})"
  "$tm" setxattr "$src/dir" user.dirattr yes
  chmod 4755 "$src/f_63"; chmod 600 "$src/f_64"; chmod 000 "$src/f_65"; chmod 1777 "$src/sticky"
  chown 1234:5678 "$src/f_511"; chown -h 42:43 "$src/link"; chown 7:8 "$src/chr"
  touch -h -d '2001-02-03 04:05:06.123456789' "$src/f_1" "$src/link" "$src/fifo"
  touch -d '1999-12-31 23:59:59' "$src/f_0"
  find "$src" -depth -type d -exec touch -d '2010-01-01 00:00:00.5' {} +
}
make_tree
"$mk" --digest-store="$work/store" "$src" "$img" || { echo "FAIL - mkcomposefs"; exit 1; }
"$tm" manifest "$src" > "$work/src.manifest"
"$tm" manifest "$work/store" > "$work/store.manifest"
# The store split in two for basedir=A:B.
mkdir -p "$work/storeA" "$work/storeB"
cp -a "$work/store/." "$work/storeA/"
cp -a "$work/store/." "$work/storeB/"
i=0
for d in "$work/store"/*/; do
  name=$(basename "$d")
  if [ $((i % 2)) = 0 ]; then rm -rf "$work/storeA/$name"; else rm -rf "$work/storeB/$name"; fi
  i=$((i + 1))
done
mkdir -p "$mnt"
echo garbage-garbage > "$work/garbage.cfs"; head -c 65536 /dev/urandom >> "$work/garbage.cfs"
touch "$work/notadir"
# A composefs header but no EROFS superblock: fails in the kernel, after the
# loop device (when forced) is attached.
cp "$img" "$work/corrupt.cfs"
dd if=/dev/zero of="$work/corrupt.cfs" bs=1 seek=1024 count=128 conv=notrunc status=none

# ---- helpers ------------------------------------------------------------
mounted() { grep -qF " $mnt " /proc/self/mountinfo; }
loops_of_ours() { losetup -a | grep -qF "$work/"; }
# run EXPECTED_RC ARGS...: mount.composefs with stderr in $work/err
run() { local want=$1; shift; "$mc" "$@" > "$work/out" 2> "$work/err"; local rc=$?; [ "$rc" -eq "$want" ] || { cat "$work/err"; return 1; }; }
one_line_err() { [ "$(wc -l < "$work/err")" -eq 1 ] && grep -q "^mount.composefs: $1" "$work/err"; }
same_as_src() { "$tm" manifest "$mnt" | diff "$work/src.manifest" - > "$work/diff" || { head -20 "$work/diff"; return 1; }; }
store_untouched() { "$tm" manifest "$work/store" | diff -q "$work/store.manifest" - > /dev/null; }
kernel_at_least() { [ "$(printf '%s\n' "$1" "$(uname -r)" | sort -V | head -1)" = "$1" ]; }
# EROFS mounts a file directly from Linux 6.12 on; before, a loop device is needed.
file_backed_erofs() { kernel_at_least 6.12; }
# overlay_layers_as_kernel FORCE: the overlay's layers, as mountinfo shows them,
# took the form this kernel and FORCE call for: the new mount API's lowerdir+ and
# datadir+ from 6.8, data-only layers ('::') in the legacy option from 6.5, plain
# lower layers (':') before that or when forced with nodata.
overlay_layers_as_kernel() {
  local opts want
  opts=$(grep -F " $mnt " /proc/self/mountinfo | awk '{print $NF}')
  if [ "${1%nodata}" != "$1" ] || ! kernel_at_least 6.5; then want='lowerdir=[^,:]*:[^:]'
  elif [ "${1#*legacy}" != "$1" ] || ! kernel_at_least 6.8; then want='lowerdir=[^,:]*::'
  else want='lowerdir\+=[^,]*,datadir\+='
  fi
  grep -qE "(^|,)$want" <<< "$opts" || { echo "  overlay options: $opts (want $want)"; return 1; }
}
clean() { ! mounted && ! loops_of_ours && [ "$(tmp_dirs)" = "$tmp_before" ]; }
unmount() { umount "$mnt" && ! mounted; }

# fails RC MESSAGE ARGS...: mount.composefs fails with RC, one message, nothing left.
fails() {
  local rc=$1 msg=$2; shift 2
  run "$rc" "$@" && one_line_err "$msg" && clean
}

# ---- cases, on every code path -------------------------------------------
digest=$(printf 'ab%.0s' {1..32})
for force in "" loop legacy loop,legacy legacy,nodata; do
  export CFS_MOUNT_FORCE=$force
  t="[${force:-default}]"
  check "$t mount" run 0 -o basedir="$work/store" "$img" "$mnt"
  check "$t   source is composefs" grep -qF " $mnt rw,relatime - overlay composefs " /proc/self/mountinfo
  check "$t   tree matches the source" same_as_src
  check "$t   overlay layers in the form this kernel takes" overlay_layers_as_kernel "$force"
  if [ "${force#loop}" != "$force" ] || ! file_backed_erofs; then
    check "$t   a loop device backs it" loops_of_ours
  else
    check "$t   no loop device (file-backed)" eval '! loops_of_ours'
  fi
  check "$t   no EROFS mount left visible" eval '! grep -q " - erofs " /proc/self/mountinfo'
  check "$t   no temporary dir left" test "$(tmp_dirs)" = "$tmp_before"
  check "$t   umount" unmount
  check "$t   loop device gone after umount" eval '! loops_of_ours'

  check "$t two basedirs" run 0 -o "basedir=$work/storeA:$work/storeB" "$img" "$mnt"
  check "$t   tree matches the source" same_as_src
  check "$t   umount" unmount

  rm -rf "$work/upper" "$work/work"; mkdir -p "$work/upper" "$work/work"
  check "$t upperdir/workdir" run 0 -o "basedir=$work/store,upperdir=$work/upper,workdir=$work/work" "$img" "$mnt"
  check "$t   new file writable" sh -c "echo new > '$mnt/newfile' && echo more >> '$mnt/f_1'"
  check "$t   new file in upperdir" grep -qx new "$work/upper/newfile"
  check "$t   changed file copied up" test -s "$work/upper/f_1"
  check "$t   umount" unmount
  check "$t   store untouched" store_untouched

  check "$t ro" run 0 -o "basedir=$work/store,upperdir=$work/upper,workdir=$work/work,ro" "$img" "$mnt"
  check "$t   writes refused" eval "! touch '$mnt/other' 2> /dev/null"
  check "$t   mount is read-only" grep -qF " $mnt ro," /proc/self/mountinfo
  check "$t   umount" unmount

  check "$t digest= without fs-verity fails" fails 1 \
    "Failed to mount composefs $img: Image has no fs-verity\$" -o "basedir=$work/store,digest=$digest" "$img" "$mnt"
  check "$t missing image fails" fails 1 "Failed to open $work/nope.cfs: " -o "basedir=$work/store" "$work/nope.cfs" "$mnt"
  check "$t garbage image fails" fails 1 "Failed to mount composefs " -o "basedir=$work/store" "$work/garbage.cfs" "$mnt"
  check "$t corrupt EROFS fails" fails 1 "Failed to mount composefs .*EROFS" -o "basedir=$work/store" "$work/corrupt.cfs" "$mnt"
  check "$t missing object dir fails" fails 1 "Failed to mount composefs " -o "basedir=$work/nostore" "$img" "$mnt"
  check "$t target not a directory fails" fails 1 "Failed to mount composefs " -o "basedir=$work/store" "$img" "$work/notadir"
  check "$t missing target fails" fails 1 "Failed to mount composefs " -o "basedir=$work/store" "$img" "$work/nomnt"
done
unset CFS_MOUNT_FORCE

# ---- command line ---------------------------------------------------------
check "as mount(8) calls it: IMAGE TARGET -n -s -v -o OPTS -t composefs" \
  run 0 "$img" "$mnt" -n -s -v -o "basedir=$work/store" -t composefs
check "  umount" unmount
check "-s ignores unknown options" run 0 -s -o "basedir=$work/store,frob" "$img" "$mnt"
check "  umount" unmount
check "-f checks but does not mount" run 0 -f -o "basedir=$work/store" "$img" "$mnt"
check "  nothing mounted" clean
check "quoted basedir value" run 0 -o "basedir=\"$work/store\"" "$img" "$mnt"
check "  umount" unmount
check "unknown option" fails 1 "Unsupported option frob\$" -o "basedir=$work/store,frob" "$img" "$mnt"
check "no basedir" run 1 -o ro "$img" "$mnt"
check "  message" grep -q '^mount.composefs: No object dirs specified$' "$work/err"
check "empty basedir component" fails 1 "Value for basedir option has incorrect format" -o "basedir=$work/store:" "$img" "$mnt"
check "basedir without value" fails 1 "No value specified for basedir option" -o basedir "$img" "$mnt"
check "upperdir without workdir" fails 1 "Both workdir and upperdir must be specified if used" \
  -o "basedir=$work/store,upperdir=$work/upper" "$img" "$mnt"
check "bad digest" fails 1 "Failed to mount composefs .*Invalid" -o "basedir=$work/store,digest=xyz" "$img" "$mnt"
check "wrong -t" fails 1 "Unsupported fs type 'ext4'" -t ext4 -o "basedir=$work/store" "$img" "$mnt"
check "missing idmap namespace" fails 1 "Failed to open userns " -o "basedir=$work/store,idmap=$work/nons" "$img" "$mnt"
check "no target" run 1 "$img"
check "-h exits 0" run 0 -h
check "  usage on stdout" grep -q '^usage: mount.composefs' "$work/out"

# ---- idmap: a user namespace mapping 0 -> 100000 -------------------------
if unshare --user true 2> /dev/null; then
  unshare --user sleep 300 &
  ns_pid=$!
  sleep 0.3
  echo "0 100000 65536" > "/proc/$ns_pid/uid_map"
  echo "0 100000 65536" > "/proc/$ns_pid/gid_map"
  for force in "" loop,legacy; do
    export CFS_MOUNT_FORCE=$force
    check "[${force:-default}] idmap" run 0 -o "basedir=$work/store,idmap=/proc/$ns_pid/ns/user" "$img" "$mnt"
    check "  owner 1234 shows as 101234" test "$(stat -c %u "$mnt/f_511")" = 101234
    check "  umount" unmount
  done
  unset CFS_MOUNT_FORCE
  kill "$ns_pid"; wait "$ns_pid" 2> /dev/null
else
  echo "skip - idmap: cannot create a user namespace"
fi

# ---- nothing of ours left -------------------------------------------------
check "no loop device of ours (losetup -a)" eval '! loops_of_ours'
check "nothing of ours in mountinfo" eval "! grep -qF ' $work/' /proc/self/mountinfo"
check "no temporary dir left" test "$(tmp_dirs)" = "$tmp_before"

echo "# $pass passed, $fail failed"
[ "$fail" -eq 0 ]
