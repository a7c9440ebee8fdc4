# Sourced by check-bad-input.sh: filesystem errors (row 4 of doc/bad-input.md):
# EACCES on sources and outputs, ENOSPC and EROFS for the image and for the object
# store, and a source file that changes while mkcomposefs reads it. Each failing
# run must exit 1 with a message, leave no image and no temporary file, and keep
# an existing image as it was.

small_dump=$work/small.dump
printf '/ 4096 40755 2 0 0 0 0.0 - - -\n/a 0 100644 1 0 0 0 0.0 - - -\n' > "$small_dump"
big_dump=$golden/cs9-x86_64-minimal.dump.gz

# mount_tmpfs DIR OPTIONS: a tmpfs for this test only; fails when not allowed.
mount_tmpfs() {
  mkdir -p "$1"
  [ "$(id -u)" = 0 ] || return 1
  mount -t tmpfs -o "$2" cfs-bad-input "$1" 2> /dev/null || return 1
  mounts+=("$1")
}

# A source tree of three 200 KiB files (too big for a 256 KiB tmpfs store).
mkdir -p "$work/tree/sub"
for f in one two sub/three; do head -c 204800 /dev/urandom > "$work/tree/$f"; done
echo small > "$work/tree/small"

# --- EACCES. Root bypasses permission bits, so as root these run as nobody.
unpriv=()
if [ "$(id -u)" = 0 ]; then
  if command -v setpriv > /dev/null &&
     setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$mk" 2> /dev/null; then
    unpriv=(setpriv --reuid=65534 --regid=65534 --clear-groups)
  fi
fi
if [ "$(id -u)" = 0 ] && [ ${#unpriv[@]} -eq 0 ]; then
  skipped "EACCES: running as root and cannot run the tools as nobody (setpriv, or the build directory is not readable)"
else
  acc=$work/acc && mkdir -p "$acc/src/locked" "$acc/out" "$acc/ro-out" && chmod 755 "$work" "$acc"
  cp "$small_dump" "$acc/unreadable.dump" && chmod 000 "$acc/unreadable.dump"
  echo secret > "$acc/src/unreadable-file" && chmod 000 "$acc/src/unreadable-file"
  head -c 100 /dev/zero > "$acc/src/ok-file"
  chmod 000 "$acc/src/locked"
  chmod 777 "$acc/out"
  chmod 555 "$acc/ro-out"
  cp "$work/base.img" "$acc/unreadable.img" && chmod 000 "$acc/unreadable.img"
  run_tool "${unpriv[@]}" "$mk" --from-file "$acc/unreadable.dump" "$acc/out/img"
  check "EACCES: unreadable dump file refused with a message" refused
  check "EACCES:   message says Permission denied" grep -q 'Permission denied' "$work/err"
  run_tool "${unpriv[@]}" "$mk" "$acc/src" "$acc/out/img"
  check "EACCES: unreadable source file or directory refused with a message" refused
  check "EACCES:   message names the path" grep -q "$acc/src/\(locked\|unreadable-file\)" "$work/err"
  run_tool "${unpriv[@]}" "$mk" --from-file "$small_dump" "$acc/ro-out/img"
  check "EACCES: unwritable image directory refused with a message" refused
  run_tool "${unpriv[@]}" "$mk" --digest-store="$acc/ro-out/store" "$work/tree" "$acc/out/img"
  check "EACCES: unwritable object store refused with a message" refused
  check "EACCES:   no image and no temporary file left" dir_holds_only "$acc/out"
  run_tool "${unpriv[@]}" "$info" dump "$acc/unreadable.img"
  check "EACCES: composefs-info on an unreadable image refused with a message" refused
  run_tool "${unpriv[@]}" "$cdump" "$acc/unreadable.img" "$acc/out/img"
  check "EACCES: composefs-dump on an unreadable image refused with a message" refused
fi

# --- ENOSPC
"$mk" --from-file "$small_dump" - > /dev/full 2> "$work/err"; rc=$?
check "ENOSPC: image on stdout to /dev/full refused with a message" refused
"$info" dump "$work/base.img" > /dev/full 2> "$work/err"; rc=$?
check "ENOSPC: composefs-info dump to /dev/full refused with a message" refused
if mount_tmpfs "$work/full" size=256k; then
  "$mk" --from-file "$small_dump" "$work/full/img" && cp "$work/full/img" "$work/old.img"
  run_tool "$mk" --from-file "$big_dump" "$work/full/img"
  check "ENOSPC: image on a full filesystem refused with a message" refused
  check "ENOSPC:   the old image is untouched" cmp -s "$work/full/img" "$work/old.img"
  check "ENOSPC:   no temporary file left" dir_holds_only "$work/full" img
  "$mk" --from-file "$big_dump" "$work/big.img"
  run_tool "$cdump" "$work/big.img" "$work/full/img"
  check "ENOSPC: composefs-dump on a full filesystem refused with a message" refused
  check "ENOSPC:   the old image is untouched" cmp -s "$work/full/img" "$work/old.img"
  check "ENOSPC:   no temporary file left by composefs-dump" \
    dir_holds_only "$work/full" img
  rm -rf "$work/full/"* "$work/full/".[!.]*
  run_tool "$mk" --digest-store="$work/full/store" "$work/tree" "$work/full-store.img"
  check "ENOSPC: object store on a full filesystem refused with a message" refused
  check "ENOSPC:   no image" test ! -e "$work/full-store.img"
  check "ENOSPC:   every object in the store matches its name" store_objects_match "$work/full/store"
  check "ENOSPC:   no temporary file left in the store" \
    bash -c "[ -z \"\$(find '$work/full/store' -name '.*' 2> /dev/null)\" ]"
else
  skipped "ENOSPC on a small tmpfs: needs root (mount)"
fi

# --- EROFS
if mount_tmpfs "$work/ro" size=1m && mount -o remount,ro "$work/ro" 2> /dev/null; then
  run_tool "$mk" --from-file "$small_dump" "$work/ro/img"
  check "EROFS: image on a read-only filesystem refused with a message" refused
  check "EROFS:   message says Read-only file system" grep -q 'Read-only file system' "$work/err"
  run_tool "$mk" --digest-store="$work/ro/store" "$work/tree" "$work/ro-store.img"
  check "EROFS: object store on a read-only filesystem refused with a message" refused
  check "EROFS:   no image" test ! -e "$work/ro-store.img"
  run_tool "$cdump" "$work/base.img" "$work/ro/img"
  check "EROFS: composefs-dump to a read-only filesystem refused with a message" refused
else
  skipped "EROFS on a read-only tmpfs: needs root (mount)"
fi

# --- A source file that changes while mkcomposefs reads it: one that keeps growing,
# and one whose middle block a background writer keeps rewriting (same size).
# Whatever mkcomposefs answers, it must not store an object under a digest that is
# not its content's, nor record a size that is not the object's. The writers run
# flat out, so most runs hit the window; a run that misses it proves nothing.
mkdir -p "$work/growing" "$work/rewritten"
head -c 300000 /dev/urandom > "$work/growing/file"
head -c 16777216 /dev/urandom > "$work/rewritten/file"
head -c 4096 /dev/zero > "$work/zero-block" && head -c 4096 /dev/urandom > "$work/rand-block"

# changing_source KIND: four runs of mkcomposefs --digest-store on $work/KIND.
changing_source() {
  local kind=$1 i bad_runs=0 refused_runs=0
  for i in 1 2 3 4; do
    rm -rf "$work/chg-store" "$work/chg.img"
    run_tool "$mk" --digest-store="$work/chg-store" "$work/$kind" "$work/chg.img"
    if ! answered; then bad_runs=$((bad_runs + 1)); continue; fi
    [ $rc = 1 ] && refused_runs=$((refused_runs + 1))
    store_objects_match "$work/chg-store" || bad_runs=$((bad_runs + 1))
    if [ $rc = 0 ] && ! "$info" fsck --basedir="$work/chg-store" "$work/chg.img" > "$work/fsck.out"; then
      head -2 "$work/fsck.out" | sed 's/^/#   /'
      bad_runs=$((bad_runs + 1))
    fi
  done
  note "file changing while read ($kind): $refused_runs of 4 runs refused, $bad_runs with a bad store or image"
  [ $bad_runs = 0 ]
}

(while :; do cat "$work/rand-block" >> "$work/growing/file"; done) &
writer=$!
check "file changing while read: a growing file is refused or stored whole" changing_source growing
kill "$writer" && wait "$writer" 2> /dev/null
(
  while :; do
    dd if="$work/zero-block" of="$work/rewritten/file" bs=4096 seek=2048 conv=notrunc status=none
    dd if="$work/rand-block" of="$work/rewritten/file" bs=4096 seek=2048 conv=notrunc status=none
  done
) &
writer=$!
check "file changing while read: a file rewritten in place never gives a misnamed object" \
  changing_source rewritten
kill "$writer" && wait "$writer" 2> /dev/null
