#!/usr/bin/env bash
# fs-verity for real, in the test VM (tests/vm/run KERNEL verity), whose /tmp is
# an ext4 with the verity feature; SHA-256 and SHA-512:
#   - mkcomposefs --digest-store: every object has fs-verity, measured = name;
#   - composefs-info measure-file: the kernel's measurement (shown by a file
#     corrupted on disk that cannot be read but is still measured) = the
#     user-space digest = fsverity-utils;
#   - mount.composefs -o verity: reads; a replaced object (with and without
#     verity) gives EIO at open; digest= right mounts, wrong is refused; an
#     image without digests under verity / tryverity; on kernels whose overlayfs
#     has no verity= (< 6.6) verity is refused and tryverity mounts;
#   - composefs-store fsck --repair enables fs-verity and moves bad objects;
#   - composefs-fuse -o verity takes the kernel's measurement;
#   - the C API (tests/capi/test-mount-verity.c): ostree's flags, digests.
# With CFS_C_TOOLS=DIR (composefs-c's built tools/) the SHA-256 cases are run with
# C's tools and library too, on the same objects.
set -uo pipefail
b=${CFS_BUILD:?run through tests/vm/run}
mk=$b/mkcomposefs/mkcomposefs info=$b/composefs-info/composefs-info mc=$b/mount-helper/mount.composefs
cs=$b/composefs-store/composefs-store fuse=$b/composefs-fuse/composefs-fuse capi=$b/tests/capi/test-mount-verity
c=${CFS_C_TOOLS:-}

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root"
command -v fsverity > /dev/null || skip "no fsverity (fsverity-utils)"
work=$(mktemp -d /tmp/cfs-verity.XXXXXX)
cleanup() {
  grep -F " $work/" /proc/self/mountinfo | awk '{print $5}' | sort -r | while read -r m; do umount -l "$m"; done
  rm -rf "$work"
}
trap cleanup EXIT
: > "$work/probe"
fsverity enable "$work/probe" 2> /dev/null || skip "no fs-verity on /tmp (run it with tests/vm/run)"
[ -z "$c" ] || [ -x "$c/mkcomposefs" ] || { echo "CFS_C_TOOLS=$c has no mkcomposefs"; exit 1; }

pass=0 fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
bad() { echo "FAIL - $1"; fail=$((fail + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

kernel_at_least() { [ "$(printf '%s\n' "$1" "$(uname -r)" | sort -V | head -1)" = "$1" ]; }
kernel_at_least 6.6 && overlay_verity=1 || overlay_verity=0  # overlayfs verity=
mnt=$work/mnt
mkdir -p "$mnt"
disk=$(findmnt -no SOURCE --target /tmp)

# ---- helpers ------------------------------------------------------------
objects() { (cd "$1" && find . -path './??/*' -type f -printf '%P\n' | sort); }
name_digest() { echo "${1%%/*}${1#*/}"; }                       # xx/rest -> xxrest
measured() { fsverity measure "$1" 2> /dev/null | awk '{print $1}'; }  # ALG:HEX, empty without verity
oracle() { fsverity digest --hash-alg="$2" "$1" | sed -E 's/^[a-z0-9]+:([0-9a-f]+) .*/\1/'; }
# all_verity STORE ALG: every object has fs-verity with ALG, measured = its name
all_verity() {
  local obj n=0
  while read -r obj; do
    [ "$(measured "$1/$obj")" = "$2:$(name_digest "$obj")" ] || { echo "  $obj: $(measured "$1/$obj")"; return 1; }
    n=$((n + 1))
  done < <(objects "$1")
  [ $n -gt 0 ]
}
# opens FILE: reading from it works
reads() { cat "$1" > /dev/null 2> "$work/err"; }
# eio_at_open FILE: open(2) itself fails with EIO
eio_at_open() { ! (: < "$1") 2> "$work/err" && grep -q 'Input/output error' "$work/err"; }
unmount() { umount "$mnt" && ! mountpoint -q "$mnt"; }
# corrupt_on_disk FILE: overwrites FILE's first block on the disk under the
# filesystem, then drops the page cache: fs-verity must notice on read.
corrupt_on_disk() {
  sync
  local block
  block=$(filefrag -v "$1" | awk '$1 == "0:" {sub(/\.\..*/, "", $4); print $4}')
  [ -n "$block" ] || return 1
  head -c 4096 /dev/urandom | dd of="$disk" bs=4096 seek="$block" count=1 oflag=direct conv=notrunc status=none
  echo 3 > /proc/sys/vm/drop_caches
}
# replace_object STORE OBJ VERITY_ALG|none: other content under the same name
replace_object() {
  rm -f "$1/$2"
  head -c 50000 /dev/urandom > "$1/$2"
  [ "$3" = none ] || fsverity enable --hash-alg="$3" "$1/$2"
}

# ---- the source tree ----------------------------------------------------
src=$work/src
mkdir -p "$src/dir"
head -c 100000 /dev/urandom > "$src/big"
head -c 1000000 /dev/urandom > "$src/dir/mega"
head -c 4097 /dev/urandom > "$src/f4097"
head -c 5000 /dev/urandom > "$src/dir/nested"
cp "$src/big" "$src/dir/same"
echo small > "$src/small" && : > "$src/empty" && ln -s big "$src/link"

# ---- per algorithm ---------------------------------------------------------
# who_runs TOOL: the prefix of a check's name, "[ALG]" or "[ALG] C:" for C's tool
who_runs() { if [ "$1" = "$mc" ]; then echo "[$alg]"; else echo "[$alg] C:"; fi; }
run_alg() {
  local alg=$1 w=$work/$1 hash=(--hash="$1")
  local with_c=
  [ "$alg" = sha256 ] && [ -n "$c" ] && with_c=1  # composefs-c has SHA-256 only
  mkdir -p "$w"
  echo "# $alg on Linux $(uname -r)"

  # mkcomposefs --digest-store on the verity ext4
  check "[$alg] mkcomposefs --digest-store" "$mk" "${hash[@]}" --digest-store="$w/store" "$src" "$w/img.cfs"
  check "[$alg]   every object has fs-verity, measured = its name" all_verity "$w/store" "$alg"
  local big dig
  big=$(objects "$w/store" | while read -r o; do [ "$(stat -c %s "$w/store/$o")" = 100000 ] && echo "$o"; done)
  dig=$(name_digest "$big")
  if [ -n "$with_c" ]; then
    check "[$alg]   C: mkcomposefs --digest-store" "$c/mkcomposefs" --digest-store="$w/cstore" "$src" "$w/cimg.cfs"
    check "[$alg]   C: the same objects" test "$(objects "$w/store")" = "$(objects "$w/cstore")"
    check "[$alg]   C: fs-verity on them too, measured = name" all_verity "$w/cstore" "$alg"
    check "[$alg]   C: the same image" cmp -s "$w/img.cfs" "$w/cimg.cfs"
  fi

  # measure-file: kernel = user space = fsverity-utils
  cp "$w/store/$big" "$w/plain"
  check "[$alg] measure-file, verity file = fsverity measure = name" \
    test "$("$info" "${hash[@]}" measure-file "$w/store/$big")" = "$dig" -a "$(measured "$w/store/$big")" = "$alg:$dig"
  check "[$alg] measure-file, plain copy = fsverity digest = name" \
    test "$("$info" "${hash[@]}" measure-file "$w/plain")" = "$dig" -a "$(oracle "$w/plain" "$alg")" = "$dig"
  cp "$w/plain" "$w/victim" && fsverity enable --hash-alg="$alg" "$w/victim" && corrupt_on_disk "$w/victim"
  check "[$alg] a verity file corrupted on disk does not read (EIO)" eval "! reads '$w/victim' && grep -q 'Input/output error' '$work/err'"
  check "[$alg]   measure-file still gives its digest: the kernel's measurement" \
    test "$("$info" "${hash[@]}" measure-file "$w/victim" 2> /dev/null)" = "$dig"
  if [ -n "$with_c" ]; then
    check "[$alg]   C: measure-file gives the same" test "$("$c/composefs-info" measure-file "$w/victim")" = "$dig"
  fi

  # mount.composefs -o verity; the image gets fs-verity for digest=
  fsverity enable --hash-alg="$alg" "$w/img.cfs"
  local idig wrong
  idig=$("$mk" "${hash[@]}" --print-digest-only "$src")
  if [ "${idig:0:1}" = 0 ]; then wrong=1${idig:1}; else wrong=0${idig:1}; fi
  check "[$alg] the image's fs-verity = mkcomposefs --print-digest-only" test "$(measured "$w/img.cfs")" = "$alg:$idig"
  local tools=("$mc") t
  [ -z "$with_c" ] || tools+=("$c/mount.composefs")
  local who
  for t in "${tools[@]}"; do
    who=$(who_runs "$t")
    if [ $overlay_verity = 1 ]; then
      check "$who digest= right: mounts" "$t" -o "basedir=$w/store,digest=$idig" "$w/img.cfs" "$mnt"
      check "$who   reads the tree" diff -r "$src" "$mnt"
      check "$who   umount" unmount
    else  # as in C, digest= implies verity
      check "$who digest= right: refused, overlayfs has no verity= before 6.6" \
        eval "! '$t' -o 'basedir=$w/store,digest=$idig' '$w/img.cfs' '$mnt' 2> /dev/null && ! mountpoint -q '$mnt'"
    fi
    check "$who digest= wrong: refused" eval "! '$t' -o 'basedir=$w/store,digest=$wrong' '$w/img.cfs' '$mnt' 2> '$work/err'"
    check "$who   saying so" grep -q 'Image has wrong fs-verity' "$work/err"
    check "$who   nothing mounted" eval "! mountpoint -q '$mnt'"
    if [ $overlay_verity = 1 ]; then
      check "$who -o verity,digest=: mounts" "$t" -o "verity,basedir=$w/store,digest=$idig" "$w/img.cfs" "$mnt"
      check "$who   reads the tree" diff -r "$src" "$mnt"
      check "$who   umount" unmount
      mv "$w/store/$big" "$w/saved"  # mv keeps its fs-verity, cp would not
      for how in none "$alg"; do
        replace_object "$w/store" "$big" "$how"
        check "$who -o verity, object replaced (verity: $how): mounts" "$t" -o "verity,basedir=$w/store" "$w/img.cfs" "$mnt"
        check "$who   EIO at open of the replaced object" eio_at_open "$mnt/big"
        check "$who   the others read" reads "$mnt/dir/mega"
        check "$who   umount" unmount
      done
      mv -f "$w/saved" "$w/store/$big"
      check "$who   (object restored, with fs-verity)" test "$(measured "$w/store/$big")" = "$alg:$dig"
    else
      check "$who -o verity: refused, overlayfs has no verity= before 6.6" \
        eval "! '$t' -o 'verity,basedir=$w/store' '$w/img.cfs' '$mnt' 2> /dev/null && ! mountpoint -q '$mnt'"
      check "$who -o tryverity: mounts without" "$t" -o "tryverity,basedir=$w/store" "$w/img.cfs" "$mnt"
      check "$who   reads the tree" diff -r "$src" "$mnt"
      check "$who   umount" unmount
    fi
  done

  # an image recording no digests: overlayfs's verity=require wants them
  "$info" dump "$w/img.cfs" | awk '$9 != "-" {$11 = "-"} {print}' > "$w/nodigest.dump"
  "$mk" --from-file "$w/nodigest.dump" "$w/nodigest.cfs"
  check "[$alg] image without digests: no digest in its dump" test -z "$("$info" dump "$w/nodigest.cfs" | awk '$11 != "-"')"
  for opt in verity tryverity; do
    if [ $overlay_verity = 1 ]; then
      check "[$alg] image without digests, -o $opt: mounts" "$mc" -o "$opt,basedir=$w/store" "$w/nodigest.cfs" "$mnt"
      check "[$alg]   EIO at open of a file without digest" eio_at_open "$mnt/big"
      check "[$alg]   umount" unmount
    elif [ $opt = tryverity ]; then
      check "[$alg] image without digests, -o tryverity: mounts and reads" "$mc" -o "$opt,basedir=$w/store" "$w/nodigest.cfs" "$mnt"
      check "[$alg]   reads the tree" diff -r "$src" "$mnt"
      check "[$alg]   umount" unmount
    fi
  done
  # digest= names the image's own fs-verity: an image file without it is refused
  for t in "${tools[@]}"; do
    who=$(who_runs "$t")
    check "$who digest= on an image file without fs-verity: refused" \
      eval "! '$t' -o 'basedir=$w/store,digest=$idig' '$w/nodigest.cfs' '$mnt' 2> '$work/err'"
    check "$who   saying so" grep -q 'Image has no fs-verity' "$work/err"
    check "$who   nothing mounted" eval "! mountpoint -q '$mnt'"
  done
  check "[$alg] image without digests, no verity option: reads" "$mc" -o "basedir=$w/store" "$w/nodigest.cfs" "$mnt"
  check "[$alg]   reads the tree" diff -r "$src" "$mnt"
  check "[$alg]   umount" unmount

  # composefs-store fsck --repair: a copy of the store has no fs-verity; one bad object
  mkdir -p "$w/store2"
  (cd "$w/store" && find . -path './??/*' -type f -exec cp --parents {} "$w/store2/" \;)
  local mega
  mega=$(objects "$w/store2" | while read -r o; do [ "$(stat -c %s "$w/store2/$o")" = 1000000 ] && echo "$o"; done)
  replace_object "$w/store2" "$mega" none
  check "[$alg] store copy: no fs-verity" test -z "$(measured "$w/store2/$big")"
  "$cs" fsck --repair "$w/store2" > "$work/out" 2>&1
  check "[$alg] fsck --repair: exit 1, the bad object named" eval "[ $? = 1 ] && grep -q '$mega' '$work/out'"
  check "[$alg]   the bad object is in lost+found" test -f "$w/store2/lost+found/${mega/\//-}"
  check "[$alg]   fs-verity enabled on every other object, measured = name" all_verity "$w/store2" "$alg"
  check "[$alg]   a second fsck is clean" "$cs" fsck "$w/store2"

  # composefs-fuse -o verity: the kernel's measurement of a corrupted object
  "$mk" "${hash[@]}" --digest-store="$w/store3" "$src" "$w/img3.cfs"
  check "[$alg] fuse -o verity: mounts" "$fuse" -o "source=$w/img3.cfs,basedir=$w/store3,verity,noprefetch" "$mnt"
  check "[$alg]   reads the tree" diff -r "$src" "$mnt"
  check "[$alg]   umount" unmount
  corrupt_on_disk "$w/store3/$big"
  "$fuse" -o "source=$w/img3.cfs,basedir=$w/store3,verity,noprefetch" "$mnt"
  check "[$alg] fuse -o verity, object corrupted on disk: opens (measured by the kernel)" eval ": < '$mnt/big'"
  check "[$alg]   reading it gives EIO" eval "! reads '$mnt/big' && grep -q 'Input/output error' '$work/err'"
  check "[$alg]   the others read" reads "$mnt/dir/mega"
  unmount
  replace_object "$w/store3" "$big" none
  "$fuse" -o "source=$w/img3.cfs,basedir=$w/store3,verity,noprefetch" "$mnt"
  check "[$alg] fuse -o verity, object replaced: EIO at open" eio_at_open "$mnt/big"
  unmount

  # the C API, as ostree calls it
  mkdir -p "$w/capi"
  check "[$alg] C API: lcfs_mount_image/fd with verity" \
    "$capi" "$w/img.cfs" "$w/store" "$idig" "$w/capi" big "$src/big" $overlay_verity "$w/nodigest.cfs"
  if [ -n "$with_c" ]; then
    mkdir -p "$w/capi-c"
    check "[$alg]   C: the same with composefs-c's libcomposefs" \
      env LD_LIBRARY_PATH="$c/../libcomposefs" "$capi" "$w/img.cfs" "$w/store" "$idig" "$w/capi-c" big "$src/big" $overlay_verity "$w/nodigest.cfs"
  fi
}

run_alg sha256
run_alg sha512

check "nothing of ours left mounted" eval "! grep -qF ' $work/' /proc/self/mountinfo"
echo "# $pass passed, $fail failed"
[ "$fail" -eq 0 ]
