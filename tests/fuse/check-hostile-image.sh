#!/usr/bin/env bash
# An untrusted image whose payloads try to leave the object store (issue 20):
# "..", symlinks in the store (as the object, or a directory on the way), a
# FIFO, a character device, an absolute path. The kernel's composefs mount
# refuses each of them and still serves the good files; composefs-fuse (both
# command lines, and mount.composefs's fallback, as nobody) must do the same:
# every hostile entry fails within a time bound and never shows the marker
# file kept outside the store, good entries read, and the server answers
# afterwards, also after killed readers. composefs-info missing-objects and
# fsck must list them all, and (under strace) open nothing outside the store.
#   check-hostile-image.sh COMPOSEFS_FUSE MKCOMPOSEFS MOUNT_COMPOSEFS SRCDIR COMPOSEFS_INFO
set -uo pipefail
fuse=$1 mk=$2 mount_cfs=$3 info=$5
here=$(dirname "$0")
. "$here/lib.sh"
export COMPOSEFS_FUSE=$fuse
w=$work
bound=10  # seconds any one read may take

# The store, and beside it (outside) the marker a leak would show.
store=$w/store
mkdir -p "$store/ab" "$store/cd" "$w/elsewhere"
marker="MARKER-$$-$RANDOM-outside-the-store"
printf '%s' "$marker" > "$w/elsewhere/secret"
good="the good object, served by every mount"
printf '%s' "$good" > "$store/ab/goodobject"
head -c 300000 /dev/urandom > "$store/ab/bigobject"
ln -s "$w/elsewhere/secret" "$store/ab/symlinked"
ln -s ../elsewhere "$store/cd/dirlink"
mkfifo "$store/ab/fifo"
mknod "$store/ab/zero" c 1 5
chmod -R a+rX "$w"
chmod 644 "$w/elsewhere/secret"  # readable by nobody: a leak must be seen, not stopped by permissions

ms=${#marker} gs=${#good}
ups=../../../../../../../../../../../../../../../..
# composefs-info (as C's) reads a redirect whose length is a multiple of 4 with
# two bytes too many (lib/erofs/reader/xattrs.cpp): keep payloads off those
# lengths, so missing-objects and fsck look up the very paths the mounts do.
fit() {
  if (( (${#1} + 1) % 4 != 0 )); then echo "$1"
  elif [ "${1:0:1}" = / ]; then echo "/$1"
  else echo "./$1"; fi
}
cat > "$w/hostile.dump" << EOF
/ 0 40755 2 0 0 0 0.0 - - -
/good $gs 100644 1 0 0 0 0.0 ab/goodobject - -
/good-after $gs 100644 1 0 0 0 0.0 /ab/goodobject - -
/big 300000 100644 1 0 0 0 0.0 ab/bigobject - -
/escape $ms 100644 1 0 0 0 0.0 $(fit "../elsewhere/secret") - -
/deep-escape $ms 100644 1 0 0 0 0.0 $(fit "$ups$w/elsewhere/secret") - -
/inner-escape $ms 100644 1 0 0 0 0.0 $(fit "ab/../../elsewhere/secret") - -
/symlinked $ms 100644 1 0 0 0 0.0 $(fit "ab/symlinked") - -
/dirlink $ms 100644 1 0 0 0 0.0 $(fit "cd/dirlink/secret") - -
/fifo $ms 100644 1 0 0 0 0.0 $(fit "ab/fifo") - -
/zero $ms 100644 1 0 0 0 0.0 $(fit "ab/zero") - -
/absolute $ms 100644 1 0 0 0 0.0 $(fit "$w/elsewhere/secret") - -
/dir 0 40755 2 0 0 0 0.0 - - -
/dir/good $gs 100644 1 0 0 0 0.0 ab/goodobject - -
EOF
"$mk" --from-file "$w/hostile.dump" "$w/img.cfs" || { echo "FAIL: mkcomposefs of the hostile dump"; exit 1; }
chmod 644 "$w/img.cfs"
hostile=(escape deep-escape inner-escape symlinked dirlink fifo zero absolute)
goods=(good dir/good)

# Reads one entry as nobody within the bound: "good", "marker" (a leak),
# "fails" (the open fails, as on the kernel mount), "read-fails" (opened, then
# the read fails) or "other" (it read something else); the FIFO must not hang it.
read_entry() {
  local out rc=0
  out=$(as_nobody timeout -k 2 $bound bash -c 'exec 3< "$1" || exit 99; cat <&3' _ "$1/$2" 2> /dev/null) || rc=$?
  if [ $rc -eq 99 ]; then echo fails; return; fi
  if [ $rc -ne 0 ]; then echo read-fails; return; fi
  case "$out" in
    "$marker") echo marker ;;
    "$good") echo good ;;
    *) echo other ;;
  esac
}

# The outcomes of the hostile entries, "name=outcome ..." (the reference).
outcomes() { local e; for e in "${hostile[@]}"; do printf '%s=%s ' "$e" "$(read_entry "$1" "$e")"; done; }

expected=""
for e in "${hostile[@]}"; do expected+="$e=fails "; done
user_dir "$w/kmnt"
if "$mount_cfs" -o basedir="$store" "$w/img.cfs" "$w/kmnt" 2> "$w/kerr" \
    && [ "$(findmnt -rn -o FSTYPE --mountpoint "$w/kmnt")" = overlay ]; then
  mounts+=("$w/kmnt")
  kernel=$(outcomes "$w/kmnt")
  check "kernel mount: every hostile entry fails ($kernel)" test "$kernel" = "$expected"
  check "kernel mount: the good entry reads" test "$(read_entry "$w/kmnt" good)" = good
  umount "$w/kmnt"
else
  echo "SKIP: no kernel mount to compare with ($(head -1 "$w/kerr")); the expected outcomes are the kernel's as measured on 6.x"
  umount "$w/kmnt" 2> /dev/null
  kernel=$expected
fi

user_dir "$w/mnt"
server_pid() { pgrep -u nobody -f -- "$w/img.cfs" | head -1; }
unmount() {
  as_nobody fusermount3 -u "$w/mnt" 2> /dev/null || umount -l "$w/mnt" 2> /dev/null
  for _ in $(seq 50); do [ -z "$(server_pid)" ] && return; sleep 0.1; done
  local pid
  pid=$(server_pid)
  bad "the server exits after the unmount"
  [ -n "$pid" ] && kill -9 "$pid"
}

# One FUSE mount, made by "$@" as nobody: the same failures as the kernel's,
# good entries before and after, and a server that still answers.
check_fuse_mount() {
  local how=$1; shift
  if ! as_nobody "$@" || ! is_mounted "$w/mnt"; then
    bad "$how: mounts"
    return
  fi
  mounts+=("$w/mnt")
  check "$how: the good entry reads" test "$(read_entry "$w/mnt" good)" = good
  local got
  got=$(outcomes "$w/mnt")
  check "$how: the kernel's failures ($got)" test "$got" = "$kernel"
  check "$how: no entry shows the marker" bash -c '[[ "$1" != *marker* ]]' _ "$got"
  # Readers killed in the middle of a file (one byte per read takes longer than
  # the 0.2 s they get), then requests the server has not seen yet.
  {
    for _ in 1 2 3 4 5; do
      as_nobody timeout -s KILL 0.2 dd if="$w/mnt/big" of=/dev/null bs=1 status=none &
    done
    wait
  } 2> /dev/null
  for e in good-after dir/good; do
    check "$how: afterwards, $e reads" test "$(read_entry "$w/mnt" "$e")" = good
  done
  check "$how: afterwards, the big file reads whole" as_nobody timeout -k 2 $bound cmp -s "$w/mnt/big" "$store/ab/bigobject"
  check "$how: afterwards, the server lists a directory" as_nobody timeout -k 2 $bound bash -c 'test "$(ls "$1")" = good' _ "$w/mnt/dir"
  unmount
}
check_fuse_mount "composefs-fuse -o source=,basedir=" "$fuse" -o source="$w/img.cfs",basedir="$store" "$w/mnt"
check_fuse_mount "composefs-fuse IMAGE MNT" "$fuse" -o basedir="$store" "$w/img.cfs" "$w/mnt"
check_fuse_mount "mount.composefs's FUSE fallback" "$mount_cfs" -o basedir="$store" "$w/img.cfs" "$w/mnt"

# composefs-info: every hostile payload is missing (the good one is not), fsck
# names each, and nothing outside the store is opened or stat'ed.
# (From `objects`: composefs-info reads some payloads with C's two extra bytes.)
"$info" objects "$w/img.cfs" > "$w/objects"
payloads=$(grep -av '^/\?ab/\(good\|big\)object$' "$w/objects" | sort)
as_nobody timeout -k 2 $bound "$info" --basedir="$store" missing-objects "$w/img.cfs" > "$w/missing"
check "missing-objects lists every hostile payload, nothing else" test "$(sort "$w/missing")" = "$payloads"
diff <(echo "$payloads") <(sort "$w/missing") | sed 's/^/    /'
as_nobody timeout -k 2 $bound "$info" --basedir="$store" fsck "$w/img.cfs" > "$w/fsck"
check "fsck fails" test $? -eq 1
for e in "${hostile[@]}"; do check "fsck names /$e" grep -q "^$w/img.cfs: /$e: " "$w/fsck"; done
check "fsck finds nothing wrong with the good objects" bash -c '! grep -q "/good\|/big" "$1"' _ "$w/fsck"
if command -v strace > /dev/null; then
  user_dir "$w/traces"
  for cmd in missing-objects fsck; do
    as_nobody timeout -k 2 60 strace -f -y -qq -e trace=%file -o "$w/traces/$cmd" \
      "$info" --basedir="$store" "$cmd" "$w/img.cfs" > /dev/null 2>&1
    check "composefs-info $cmd (strace): nothing outside the store reached" \
      $python "$here/strace_outside.py" "$w/traces/$cmd" "$store" "$w/elsewhere"
  done
else
  echo "SKIP: strace is not installed (scripts/deps.sh installs it): no system-call check of composefs-info"
fi
finish
