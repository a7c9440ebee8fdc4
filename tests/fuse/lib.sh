# Shared by the fuse suite's scripts: root check, an unprivileged user with
# /dev/fuse, a scratch directory, and counters.   . lib.sh
if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP: not root: the suite compares with kernel mounts and runs FUSE as another user"
  exit 77
fi
for tool in fusermount3 setpriv; do
  command -v $tool > /dev/null || { echo "SKIP: $tool is not installed"; exit 77; }
done
[ -c /dev/fuse ] || { echo "SKIP: no /dev/fuse"; exit 77; }
# A normal system makes /dev/fuse 0666 (udev); some containers leave it 0600.
fuse_mode=$(stat -c %a /dev/fuse)
[ "$fuse_mode" = 666 ] || chmod 666 /dev/fuse

work=$(mktemp -d)
chmod 755 "$work"
mounts=()
cleanup() {
  local m
  for m in "${mounts[@]}"; do umount "$m" 2> /dev/null || umount -l "$m" 2> /dev/null; done
  [ "$fuse_mode" = 666 ] || chmod "$fuse_mode" /dev/fuse
  rm -rf "$work"
}
trap cleanup EXIT

# The system's python: a python3 found on root's PATH (pyenv...) may be out of nobody's reach.
python=/usr/bin/python3
[ -x $python ] || python=$(command -v python3)
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; }

pass=0 fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
bad() { echo "FAIL - $1"; fail=$((fail + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
finish() { echo "$pass passed, $fail failed"; [ "$fail" -eq 0 ]; }

# A directory nobody may mount on: FUSE mounts by a user need their own mountpoint.
user_dir() { mkdir -p "$1" && chown nobody:nogroup "$1"; }
is_mounted() { findmnt -rn --mountpoint "$1" > /dev/null; }
