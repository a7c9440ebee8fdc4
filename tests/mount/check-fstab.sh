#!/usr/bin/env bash
# mount.composefs as mount(8)'s helper for fstab lines (issue 22): every option
# group of a private fstab file (mount -T), mount -a, the VFS flags in mountinfo
# and enforced by the kernel, unknown options refused, -s, -f, -v, -N; and noexec
# through the FUSE fallback as an unprivileged user.
#   check-fstab.sh MKCOMPOSEFS MOUNT_COMPOSEFS COMPOSEFS_FUSE
# The helper is put where mount(8) looks for it (/sbin = /usr/sbin) only inside a
# private mount namespace (a tmpfs over /usr/sbin there): the host is not changed.
# Exits 77 (skipped) without root, unshare or kernel erofs/overlay support.
set -uo pipefail
mk=$1 mc=$2 fuse=${3:-}

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "fstab mount tests need root"
for fs in erofs overlay; do
  grep -qw "$fs" /proc/filesystems || modprobe "$fs" 2> /dev/null
  grep -qw "$fs" /proc/filesystems || skip "kernel has no $fs"
done
command -v unshare > /dev/null || skip "no unshare(1)"

if [ "${CFS_FSTAB_INSIDE:-}" != 1 ]; then
  # Re-run inside a private mount namespace: every mount made there (the test's
  # and the tmpfs over /usr/sbin) goes away with it.
  unshare -m --propagation private true 2> /dev/null || skip "cannot make a private mount namespace"
  exec unshare -m --propagation private env CFS_FSTAB_INSIDE=1 bash "$0" "$@"
fi

work=$(mktemp -d /var/tmp/cfs-fstab-test.XXXXXX)
fuse_mode=$(stat -c %a /dev/fuse 2> /dev/null)
cleanup() {
  grep -F " $work/" /proc/self/mountinfo | awk '{print $5}' | sort -r | while read -r m; do umount -l "$m"; done
  [ -n "$fuse_mode" ] && chmod "$fuse_mode" /dev/fuse
  rm -rf "$work"
}
trap cleanup EXIT

pass=0 fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
bad() { echo "FAIL - $1"; fail=$((fail + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

# The image: a script, a device node, a file.
mkdir -p "$work/src"
printf '#!/bin/sh\necho ran\n' > "$work/src/script.sh"
chmod 755 "$work/src/script.sh"
mknod "$work/src/null" c 1 3
echo hello > "$work/src/file"
"$mk" --digest-store="$work/objs" "$work/src" "$work/img.cfs" || { echo "FAIL - mkcomposefs"; exit 1; }
chmod -R a+rX "$work"

# The helper where mount(8) finds it, in this namespace only.
mkdir "$work/sbin"
cp "$mc" "$work/sbin/mount.composefs"
mount --bind "$work/sbin" /usr/sbin || skip "cannot bind a directory over /usr/sbin"
[ -x /sbin/mount.composefs ] || skip "/sbin is not /usr/sbin here"

fstab=$work/fstab
mnt() { echo "$work/m$1"; }
for i in 1 2 3 4 5 6 7 8; do mkdir "$(mnt $i)"; done
cat > "$fstab" << FSTAB_END
# plain
$work/img.cfs $(mnt 1) composefs basedir=$work/objs 0 0
# VFS flags and mount(8)'s own options
$work/img.cfs $(mnt 2) composefs basedir=$work/objs,nofail,nosuid,nodev,noexec,noatime,_netdev,comment=x,x-systemd.requires-mounts-for=$work,x-systemd.automount,X-mount.mkdir 0 0
# ro and relatime, defaults
$work/img.cfs $(mnt 3) composefs defaults,ro,relatime,basedir=$work/objs 0 0
# never by mount -a
$work/img.cfs $(mnt 4) composefs basedir=$work/objs,noauto 0 0
# unknown option
$work/img.cfs $(mnt 5) composefs basedir=$work/objs,bogus=1 0 0
# strictatime, nodiratime, nosymfollow
$work/img.cfs $(mnt 6) composefs basedir=$work/objs,strictatime,nodiratime,nosymfollow,noauto 0 0
FSTAB_END

mount_opts() { findmnt -rn -o VFS-OPTIONS --mountpoint "$1"; }
has_opts() {  # has_opts MOUNTPOINT OPT...
  local o want
  o=",$(mount_opts "$1"),"
  shift
  for want in "$@"; do [[ "$o" == *",$want,"* ]] || return 1; done
}
lacks_opt() { [[ ",$(mount_opts "$1")," != *",$2,"* ]]; }
not_mounted() { local m; for m in "$@"; do ! findmnt -rn --mountpoint "$m" > /dev/null || return 1; done; }
all_mounted() { local m; for m in "$@"; do findmnt -rn --mountpoint "$m" > /dev/null || return 1; done; }
runs_script() { [ "$("$1/script.sh" 2> /dev/null)" = ran ]; }
opens_null() { cat "$1/null" > /dev/null 2>&1; }

# ---- one entry at a time --------------------------------------------------
check "plain entry mounts" mount -T "$fstab" "$(mnt 1)"
check "plain entry: the file reads" test "$(cat "$(mnt 1)/file")" = hello
check "plain entry: not noexec" lacks_opt "$(mnt 1)" noexec
check "plain entry: the script runs" runs_script "$(mnt 1)"
check "plain entry: the device node opens" opens_null "$(mnt 1)"

check "flags entry mounts (nofail, _netdev, comment=, x-systemd.*, X-mount.* ignored)" mount -T "$fstab" "$(mnt 2)"
check "mountinfo: nosuid,nodev,noexec,noatime" has_opts "$(mnt 2)" nosuid nodev noexec noatime
check "noexec: the script does not run" eval '! runs_script "$(mnt 2)"'
check "nodev: the device node cannot be opened" eval '! opens_null "$(mnt 2)"'
check "flags entry: the file reads" test "$(cat "$(mnt 2)/file")" = hello

check "ro,relatime,defaults entry mounts" mount -T "$fstab" "$(mnt 3)"
check "mountinfo: ro,relatime" has_opts "$(mnt 3)" ro relatime

check "strictatime,nodiratime,nosymfollow entry mounts" mount -T "$fstab" "$(mnt 6)"
check "mountinfo: nodiratime,nosymfollow" has_opts "$(mnt 6)" nodiratime nosymfollow
check "mountinfo: not relatime (strictatime)" lacks_opt "$(mnt 6)" relatime

out=$(mount -T "$fstab" "$(mnt 5)" 2>&1)
check "unknown option refused" test $? -ne 0
check "the message names it ($out)" grep -q "Unsupported option bogus" <<< "$out"
check "nothing mounted after the refusal" not_mounted "$(mnt 5)"
check "-s (sloppy) accepts it" mount -s -T "$fstab" "$(mnt 5)"
check "sloppy mount reads" test "$(cat "$(mnt 5)/file" 2> /dev/null)" = hello

for i in 1 2 3 5 6; do umount "$(mnt $i)" 2> /dev/null; done

# ---- mount -a ---------------------------------------------------------------
out=$(mount -a -T "$fstab" 2>&1)
check "mount -a: the good entries mount" all_mounted "$(mnt 1)" "$(mnt 2)" "$(mnt 3)"
check "mount -a: noauto entries skipped" not_mounted "$(mnt 4)" "$(mnt 6)"
check "mount -a: the unknown option is refused ($out)" grep -q "Unsupported option bogus" <<< "$out"
check "mount -a: flags applied" has_opts "$(mnt 2)" nosuid nodev noexec noatime
for i in 1 2 3; do umount "$(mnt $i)" 2> /dev/null; done

# ---- the helper's own command line, as mount(8) calls it -------------------
out=$(/sbin/mount.composefs "$work/img.cfs" "$(mnt 7)" -f -v -o "basedir=$work/objs,nosuid" -t composefs -n 2>&1)
check "-f: succeeds, says so ($out)" grep -q "nothing (-f)" <<< "$out"
check "-f: nothing mounted" not_mounted "$(mnt 7)"
out=$(/sbin/mount.composefs -v -n -t composefs -o "basedir=$work/objs,nodev,nofail" "$work/img.cfs" "$(mnt 7)" 2>&1)
check "-v: says what was mounted and how ($out)" grep -q "mounted by the kernel.*mount flags: nodev; ignored: nofail" <<< "$out"
umount "$(mnt 7)" 2> /dev/null
out=$(/sbin/mount.composefs -o "basedir=$work/objs" -t ext4 "$work/img.cfs" "$(mnt 7)" 2>&1)
check "-t other than composefs refused ($out)" test $? -ne 0
# -N: a child mount namespace by PID; the mount shows there and not here.
unshare -m --propagation private sleep 60 &
ns_pid=$!
sleep 0.3
check "-N PID mounts in that namespace" /sbin/mount.composefs -N "$ns_pid" -o "basedir=$work/objs" "$work/img.cfs" "$(mnt 7)"
check "-N: not mounted here" not_mounted "$(mnt 7)"
check "-N: mounted there" nsenter -t "$ns_pid" -m findmnt -rn --mountpoint "$(mnt 7)" -o TARGET > /dev/null
kill "$ns_pid" 2> /dev/null
wait "$ns_pid" 2> /dev/null

# ---- legacy overlay path: the same flags as MS_* ---------------------------
check "legacy path: nosuid,noexec,ro mounts" env CFS_MOUNT_FORCE=legacy /sbin/mount.composefs -o "basedir=$work/objs,nosuid,noexec,ro" "$work/img.cfs" "$(mnt 7)"
check "legacy path: mountinfo ro,nosuid,noexec" has_opts "$(mnt 7)" ro nosuid noexec
check "legacy path: noexec enforced" eval '! runs_script "$(mnt 7)"'
umount "$(mnt 7)" 2> /dev/null

# ---- SELinux contexts: handed to the overlay; refused clearly without SELinux
out=$(/sbin/mount.composefs -o "basedir=$work/objs,context=\"system_u:object_r:tmp_t:s0\"" "$work/img.cfs" "$(mnt 7)" 2>&1)
if [ $? -eq 0 ]; then
  check "context=: mountinfo shows it" bash -c 'findmnt -rn -o FS-OPTIONS --mountpoint "$1" | grep -q context=' _ "$(mnt 7)"
  umount "$(mnt 7)"
else
  check "context= without SELinux: one message naming it ($out)" grep -q "context=" <<< "$out"
  check "context= refused: nothing mounted" not_mounted "$(mnt 7)"
fi

# ---- the FUSE fallback, as an unprivileged user ----------------------------
if [ -n "$fuse" ] && [ -x "$fuse" ] && [ -e /dev/fuse ] && command -v fusermount3 > /dev/null; then
  chmod 666 /dev/fuse
  chown nobody "$(mnt 8)"
  as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; }
  out=$(as_nobody env COMPOSEFS_FUSE="$fuse" /sbin/mount.composefs -v -o "basedir=$work/objs,noexec,noatime,nofail" "$work/img.cfs" "$(mnt 8)" 2>&1)
  check "FUSE fallback as nobody mounts ($out)" grep -q "mounted by composefs-fuse" <<< "$out"
  check "FUSE fallback: mountinfo nosuid,nodev,noexec,noatime" has_opts "$(mnt 8)" nosuid nodev noexec noatime
  check "FUSE fallback: the file reads" test "$(as_nobody cat "$(mnt 8)/file")" = hello
  check "FUSE fallback: noexec enforced" eval '! as_nobody "$(mnt 8)/script.sh" > /dev/null 2>&1'
  as_nobody fusermount3 -u "$(mnt 8)"
else
  echo "SKIP (part): no composefs-fuse, /dev/fuse or fusermount3: the FUSE fallback's noexec is not checked"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
