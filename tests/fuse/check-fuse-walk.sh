#!/usr/bin/env bash
# A walk of composefs-fuse's mount equals a walk of the kernel mount of the same
# image, both seen by the same user: nobody (mounted by nobody with
# mount.composefs, which falls back to composefs-fuse through fusermount3) and
# root (FUSE mounted by root with composefs-c's command line, trusted.* xattrs
# visible), for random trees (tests/oracle/gentree.py) and the
# golden trees.
#   check-fuse-walk.sh COMPOSEFS_FUSE MKCOMPOSEFS MOUNT_COMPOSEFS SRCDIR SEEDS...
set -uo pipefail
fuse=$1 mk=$2 mount_cfs=$3 src=$4
shift 4
here=$(dirname "$0")
. "$here/lib.sh"
walk=$(realpath "$here/walk.py")
save() { local out=$1; shift; "$@" > "$out"; }

compare() {
  local name=$1 tree=$2 d=$work/$1
  mkdir -p "$d" && user_dir "$d/user"
  "$mk" --digest-store="$d/objs" "$tree" "$d/img.cfs" > /dev/null || { bad "$name: mkcomposefs"; return; }
  mkdir "$d/kernel" "$d/rootfuse"
  "$mount_cfs" -o basedir="$d/objs" "$d/img.cfs" "$d/kernel" && mounts+=("$d/kernel") || { bad "$name: kernel mount"; return; }
  # nobody mounts as the issue says: mount.composefs, which falls back to FUSE.
  as_nobody env COMPOSEFS_FUSE="$fuse" "$mount_cfs" -o basedir="$d/objs" "$d/img.cfs" "$d/user" && mounts+=("$d/user")
  check "$name: mounted by nobody" is_mounted "$d/user"
  check "$name: nobody walks the kernel mount" save "$d/kernel.nobody" as_nobody $python "$walk" "$d/kernel"
  check "$name: nobody walks the FUSE mount" save "$d/fuse.nobody" as_nobody $python "$walk" "$d/user"
  check "$name: nobody's walk of the FUSE mount equals the kernel mount's" diff -u "$d/kernel.nobody" "$d/fuse.nobody"
  as_nobody fusermount3 -u "$d/user"
  check "$name: fusermount3 -u unmounts" test "$(is_mounted "$d/user" && echo yes)" = ""
  "$fuse" -o source="$d/img.cfs",basedir="$d/objs" "$d/rootfuse" && mounts+=("$d/rootfuse")
  check "$name: root walks the kernel mount" save "$d/kernel.root" $python "$walk" "$d/kernel"
  check "$name: root walks the FUSE mount" save "$d/fuse.root" $python "$walk" "$d/rootfuse"
  check "$name: root's walk (C command line) equals the kernel mount's" diff -u "$d/kernel.root" "$d/fuse.root"
  umount "$d/rootfuse" "$d/kernel"
}

for seed in "$@"; do
  $python -c "import sys; sys.path.insert(0, sys.argv[1]); import gentree; gentree.generate(int(sys.argv[2]), sys.argv[3].encode())" \
    "$src/tests/oracle" "$seed" "$work/tree-$seed" > /dev/null
  compare "seed-$seed" "$work/tree-$seed"
done
for t in perl-base special zoneinfo; do
  mkdir -p "$work/golden-$t"
  tar --xattrs --xattrs-include='*' --numeric-owner -xpJf "$src/tests/golden/trees/$t.tar.xz" -C "$work/golden-$t"
  compare "golden-$t" "$work/golden-$t"
done
finish
