#!/usr/bin/env bash
# SHA-512 fs-verity end to end (beyond composefs-c): measure-file against
# fsverity-utils, store object names, the metacopy and redirect bytes in the raw
# EROFS image, the composefs mount, dump round trips, refused mixtures.
#   check-sha512.sh MKCOMPOSEFS COMPOSEFS_INFO MOUNT_COMPOSEFS COMPOSEFS_STORE COMPOSEFS_FUSE
# The mounts need root (skipped with a message otherwise); the oracle is
# fsverity-utils' `fsverity digest` (Debian package fsverity).
set -uo pipefail
mk=$1 info=$2 mc=$3 cs=$4 fuse=$5
command -v fsverity > /dev/null || { echo "SKIP: no fsverity (fsverity-utils) to check against"; exit 77; }
work=$(mktemp -d /tmp/cfs-sha512.XXXXXX)
cleanup() {
  for m in "$work"/mnt "$work"/raw "$work"/fmnt; do mountpoint -q "$m" 2> /dev/null && umount "$m"; done
  rm -rf "$work"
}
trap cleanup EXIT
pass=0 fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
bad() { echo "FAIL - $1"; fail=$((fail + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
oracle() { fsverity digest --hash-alg=sha512 "$1" | sed -E 's/^sha512:([0-9a-f]{128}) .*/\1/'; }

# ---- measure-file against fsverity-utils -------------------------------
mkdir "$work/f"
sizes=(0 1 4095 4096 4097 65536 1000000 10000000 $((RANDOM * 7)) $((RANDOM * 131 + 5)))
for n in "${sizes[@]}"; do head -c "$n" /dev/urandom > "$work/f/r$n"; done
for n in "${sizes[@]}"; do
  check "measure-file --hash=sha512, $n bytes, equals fsverity digest" \
    test "$("$info" --hash=sha512 measure-file "$work/f/r$n")" = "$(oracle "$work/f/r$n")"
done
check "measure-file without --hash is SHA-256 (64 digits)" \
  test "$("$info" measure-file "$work/f/r1" | tr -d '\n' | wc -c)" = 64
check "measure-file --hash=md5 is refused" bash -c "! '$info' --hash=md5 measure-file '$work/f/r1' 2> /dev/null"

# ---- an image naming SHA-512 objects ------------------------------------
objects() { (cd "$work/store" && find . -path './??/*' -type f -printf '%P\n'); }  # not .lock
src=$work/src
mkdir -p "$src/d"
cp "$work/f/r4097" "$src/big" && cp "$work/f/r1000000" "$src/d/mega" && cp "$work/f/r4097" "$src/d/same"
printf 'small\n' > "$src/small" && : > "$src/empty" && ln -s big "$src/link"
check "mkcomposefs --hash=sha512 --digest-store" \
  "$mk" --hash=sha512 --digest-store="$work/store" "$src" "$work/img.cfs"
names_ok=1
while read -r obj; do
  [ "${obj%%/*}${obj#*/}" = "$(oracle "$work/store/$obj")" ] || names_ok=0
done < <(objects)
check "every object is named by its SHA-512 fs-verity digest (xx/ + 126 digits)" test $names_ok = 1
check "two objects for three big files (same content stored once)" \
  test "$(objects | wc -l)" = 2
check "object names have 2 + 126 hex digits" \
  test -z "$(objects | grep -vE '^[0-9a-f]{2}/[0-9a-f]{126}$')"
printed=$("$mk" --hash=sha512 --print-digest-only "$src")
check "--print-digest-only --hash=sha512 is the image's SHA-512 fs-verity digest" test "$printed" = "$(oracle "$work/img.cfs")"
"$info" dump "$work/img.cfs" > "$work/img.dump"
check "composefs-info dump prints 128-digit digests" grep -qE ' [0-9a-f]{128}$' "$work/img.dump"
check "dump -> mkcomposefs --from-file gives the same image" "$mk" --from-file "$work/img.dump" "$work/again.cfs"
check "  (bytes)" cmp -s "$work/img.cfs" "$work/again.cfs"
check "  --print-digest follows the dump's algorithm" test "$("$mk" --print-digest-only --from-file "$work/img.dump")" = "$printed"
check "composefs-info objects lists xx/126-digit names" \
  test "$("$info" objects "$work/img.cfs" | sort)" = "$(objects | sort)"
check "missing-objects is empty" test -z "$("$info" --basedir="$work/store" missing-objects "$work/img.cfs")"
check "fsck with the store passes" "$info" --basedir="$work/store" fsck "$work/img.cfs"
obj=$(cd "$work/store" && find . -path './??/*' -type f -size +100k -printf '%P\n' | head -1)
cp "$work/store/$obj" "$work/saved" && printf 'X' | dd of="$work/store/$obj" bs=1 seek=5 conv=notrunc status=none
check "fsck finds a flipped byte in a SHA-512 object" bash -c "! '$info' --basedir='$work/store' fsck '$work/img.cfs' > /dev/null 2>&1"
cp "$work/saved" "$work/store/$obj"

# ---- composefs-store on a SHA-512 store ------------------------------------
check "composefs-store fsck: a SHA-512 store is clean" "$cs" fsck "$work/store" "$work/img.cfs"
printf 'X' | dd of="$work/store/$obj" bs=1 seek=5 conv=notrunc status=none
"$cs" fsck "$work/store" > "$work/fsck.out" 2>&1
check "composefs-store fsck: the flipped byte is found (exit 1, the object named)" \
  bash -c "[ $? = 1 ] && grep -q '$obj' '$work/fsck.out'"
cp "$work/saved" "$work/store/$obj"
mkdir -p "$work/src2" && cp "$work/f/r65536" "$work/src2/only"
"$mk" --hash=sha512 --digest-store="$work/store" "$work/src2" "$work/img2.cfs"
check "composefs-store gc keeps what img.cfs needs, removes img2.cfs's object" \
  "$cs" gc --grace=0 "$work/store" "$work/img.cfs"
check "  img.cfs misses nothing" test -z "$("$info" --basedir="$work/store" missing-objects "$work/img.cfs")"
check "  img2.cfs's object is gone" test -n "$("$info" --basedir="$work/store" missing-objects "$work/img2.cfs")"

# ---- refused mixtures ----------------------------------------------------
d256=$(printf '%064d' 1) d512=$(printf '%0128d' 2)
printf '/ 4096 40755 2 0 0 0 0.0 - - -\n/a 100 100644 1 0 0 0 0.0 aa/b - %s\n/b 100 100644 1 0 0 0 0.0 aa/c - %s\n' \
  "$d256" "$d512" > "$work/mixed.dump"
"$mk" --from-file "$work/mixed.dump" "$work/mixed.cfs" 2> "$work/err"
check "a dump mixing SHA-256 and SHA-512 digests is refused (exit 1)" test $? = 1
check "  the message names the line" grep -q 'line 3: DIGEST: a sha512 digest, but line 2 has a sha256 one' "$work/err"
check "  no image is left" test ! -e "$work/mixed.cfs"
"$mk" --hash=sha256 --from-file "$work/img.dump" "$work/x.cfs" 2> "$work/err"
check "--hash=sha256 with a SHA-512 dump is refused" test $? = 1
check "  and says why" grep -q 'digests in .* are sha512 ones' "$work/err"
"$mk" --hash=sha384 "$src" "$work/x.cfs" 2> "$work/err"
check "--hash=sha384 is refused" test $? = 1

# ---- mounts (root) -----------------------------------------------------------
if [ "$(id -u)" != 0 ]; then
  echo "SKIP - mounts: not root"
elif ! grep -qw erofs /proc/filesystems && ! modprobe erofs 2> /dev/null; then
  echo "SKIP - mounts: no erofs in this kernel"
else
  mkdir "$work/raw" "$work/mnt"
  mount -t erofs -o ro,loop "$work/img.cfs" "$work/raw"
  meta=$(getfattr --absolute-names -n trusted.overlay.metacopy -e hex "$work/raw/big" 2> /dev/null | sed -n 's/^trusted.overlay.metacopy=0x//p')
  digest=$(oracle "$src/big")
  check "raw EROFS: metacopy is 00 44 00 02 + the 64-byte digest" test "$meta" = "00440002$digest"
  redirect=$(getfattr --absolute-names -n trusted.overlay.redirect --only-values "$work/raw/big" 2> /dev/null)
  check "raw EROFS: redirect is /xx/ + 126 digits" test "$redirect" = "/${digest:0:2}/${digest:2}"
  umount "$work/raw"
  check "mount.composefs of the SHA-512 image" "$mc" -o basedir="$work/store" "$work/img.cfs" "$work/mnt"
  check "  reads back the source tree" diff -r --no-dereference "$src" "$work/mnt"
  umount "$work/mnt"
  "$mc" -o basedir="$work/store",digest="$printed" "$work/img.cfs" "$work/mnt" 2> "$work/err"
  rc=$?
  mountpoint -q "$work/mnt" && umount "$work/mnt"
  # No fs-verity on the image here (or none enabled): the 128-digit digest is
  # understood and the image is refused for lacking verity, not for a bad digest.
  check "digest= with 128 hex digits is parsed (refused only for missing fs-verity)" \
    bash -c "[ $rc != 0 ] && grep -q 'fs-verity' '$work/err' && ! grep -q 'Invalid digest' '$work/err'"
  "$mc" -o basedir="$work/store",digest="${printed:0:100}" "$work/img.cfs" "$work/mnt" 2> "$work/err"
  check "digest= of 100 hex digits is an invalid digest" grep -q 'Invalid digest' "$work/err"
fi

# ---- composefs-fuse: digest= and verity in user space, SHA-512 ----------------
if [ -z "$fuse" ]; then
  echo "SKIP - composefs-fuse: FUSE support was not built (-Dfuse=disabled)"
elif [ "${CFS_NO_FUSE:-}" = 1 ]; then
  echo "SKIP - composefs-fuse: CFS_NO_FUSE=1 (under qemu-user, /dev/fuse messages are not translated)"
elif [ ! -e /dev/fuse ] || ! command -v fusermount3 > /dev/null; then
  echo "SKIP - composefs-fuse: no /dev/fuse or fusermount3"
else
  mkdir -p "$work/fmnt"
  check "composefs-fuse -o digest=<128 hex>,verity mounts the SHA-512 image" \
    "$fuse" -o basedir="$work/store",digest="$printed",verity "$work/img.cfs" "$work/fmnt"
  check "  reads back the source tree (each object checked with SHA-512)" diff -r --no-dereference "$src" "$work/fmnt"
  fusermount3 -u "$work/fmnt"
  "$fuse" -o basedir="$work/store",digest="$(printf '%0128d' 7)" "$work/img.cfs" "$work/fmnt" 2> "$work/err"
  check "composefs-fuse: a wrong 128-digit digest is refused" bash -c "[ $? = 1 ] && ! mountpoint -q '$work/fmnt'"
  mountpoint -q "$work/fmnt" && fusermount3 -u "$work/fmnt"
fi

echo "sha512: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
