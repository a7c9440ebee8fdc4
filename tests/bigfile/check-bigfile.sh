#!/usr/bin/env bash
# Big and sparse files end to end (issue 16): digests in `mkcomposefs DIR` images
# and from measure-file against fsverity-utils, --digest-store object names,
# contents and holes, composefs-store fsck, for SHA-256 and SHA-512.
#   check-bigfile.sh MKCOMPOSEFS COMPOSEFS_INFO COMPOSEFS_STORE
# Sparse files only: a few MiB of real data on disk whatever the sizes.
set -uo pipefail
mk=$1 info=$2 cs=$3
command -v fsverity > /dev/null || { echo "SKIP: no fsverity (fsverity-utils) to check against"; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/cfs-bigfile.XXXXXX")
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
bad() { echo "FAIL - $1"; fail=$((fail + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
oracle() { fsverity digest --hash-alg="$1" "$2" | sed -E 's/^sha[0-9]+:([0-9a-f]+) .*/\1/'; }
MiB=$((1 << 20)) GiB=$((1 << 30))

# put FILE OFFSET LENGTH: LENGTH random bytes at OFFSET (the file is not truncated).
put() { head -c "$3" /dev/urandom | dd of="$1" bs=64K seek="$2" oflag=seek_bytes conv=notrunc status=none; }
# sparse FILE SIZE [OFFSET LENGTH]...: a hole of SIZE bytes with data at the places given.
sparse() {
  local f=$1 size=$2; shift 2
  : > "$f"
  while [ $# -ge 2 ]; do put "$f" "$1" "$2"; shift 2; done
  truncate -s "$size" "$f"
}

src=$work/src
mkdir -p "$src/dense" "$src/sparse"
for n in 1 4095 4096 4097 $((128 * 4096 - 1)) $((128 * 4096)) $((128 * 4096 + 1)) $((6 * MiB + 5)); do
  head -c "$n" /dev/urandom > "$src/dense/d$n"
done
: > "$src/dense/empty"
sparse "$src/sparse/hole-start" $((10 * MiB)) $((9 * MiB + 5)) 100000
sparse "$src/sparse/hole-end" $((12 * MiB)) 0 $((MiB + 3))
sparse "$src/sparse/middle" $((20 * MiB)) $((5 * MiB - 7)) $((MiB + 100))
sparse "$src/sparse/all-hole" $((30 * MiB))
sparse "$src/sparse/small-hole" 20000
sparse "$src/sparse/sha512-levels" $((16 * MiB + 4096)) 0 4097 $((16 * MiB - 1)) 2
sparse "$src/sparse/sha256-levels" $((64 * MiB + 1)) 0 4097 $((64 * MiB - 1)) 2
sparse "$src/sparse/many" $((9 * MiB)) 1000 5000 $((700 * 1024)) 5000 $((1400 * 1024)) 5000 $((5 * MiB)) 5000
# 6 GiB, 'composefs' at the start, across 3 GiB and at the end: fsverity-utils'
# digests of it (computed once; reading 6 GiB of zeros would take a minute here).
sparse "$src/huge" $((6 * GiB))
for off in 0 $((3 * GiB - 1)) $((6 * GiB - 9)); do
  printf composefs | dd of="$src/huge" bs=1 seek="$off" conv=notrunc status=none
done
huge_sha256=2124d4d18f552fb2f1ed871e7d047de05b8734bf3135dca4708385f69cd20be8
huge_sha512=db60345c70ceacfd1657ab037f0ed7398ac8fb419c9d3d15bad6ae1a5d9f4c4d3b06261000d1c1f71e687af555a70ec1c2e03a4164e292c407c2c0b4f6213236
check "sparse sources take little disk" test "$(du -sk "$src" | cut -f1)" -lt 20000

# same_bytes A B: the files are equal; above 100 MiB reading only where either
# has data (cmp would read 6 GiB of zeros twice).
same_bytes() {
  [ "$(stat -c %s "$1")" -gt $((100 * MiB)) ] || { cmp -s "$1" "$2"; return; }
  python3 - "$1" "$2" << 'PY'
import os, sys
fds = [os.open(p, os.O_RDONLY) for p in sys.argv[1:3]]
size = os.fstat(fds[0]).st_size
if os.fstat(fds[1]).st_size != size: sys.exit(1)
def extents(fd):
    pos = 0
    while pos < size:
        try: data = os.lseek(fd, pos, os.SEEK_DATA)
        except OSError: return
        hole = os.lseek(fd, data, os.SEEK_HOLE)
        yield data, hole
        pos = hole
for begin, end in sorted(e for fd in fds for e in extents(fd)):
    for off in range(begin, end, 1 << 20):
        n = min(1 << 20, end - off)
        if os.pread(fds[0], n, off) != os.pread(fds[1], n, off): sys.exit(1)
PY
}

files=()
while IFS= read -r f; do files+=("$f"); done < <(cd "$src" && find . -type f -size +64c -printf '%P\n' | sort)
want() {  # want ALG FILE: the fs-verity digest fsverity-utils gives
  if [ "$2" = huge ]; then [ "$1" = sha512 ] && echo "$huge_sha512" || echo "$huge_sha256"; else oracle "$1" "$src/$2"; fi
}
declare -A digest256 digest512
for f in "${files[@]}"; do digest256[$f]=$(want sha256 "$f"); digest512[$f]=$(want sha512 "$f"); done

# ---- measure-file ---------------------------------------------------------
for f in "${files[@]}"; do
  check "measure-file $f" test "$("$info" measure-file "$src/$f")" = "${digest256[$f]}"
  check "measure-file --hash=sha512 $f" test "$("$info" --hash=sha512 measure-file "$src/$f")" = "${digest512[$f]}"
done

# ---- mkcomposefs DIR: the digests in the image ---------------------------
image_digest() {  # image_digest DUMP FILE: the DIGEST field of /FILE
  awk -v p="/$2" '$1 == p { print $NF }' "$1"
}
for alg in sha256 sha512; do
  check "mkcomposefs --hash=$alg DIR" "$mk" --hash=$alg "$src" "$work/$alg.cfs"
  "$info" dump "$work/$alg.cfs" > "$work/$alg.dump"
  bad_digests=0
  for f in "${files[@]}"; do
    [ $alg = sha256 ] && w=${digest256[$f]} || w=${digest512[$f]}
    [ "$(image_digest "$work/$alg.dump" "$f")" = "$w" ] || { echo "  $alg $f"; bad_digests=$((bad_digests + 1)); }
  done
  check "every $alg digest in the image is fsverity-utils'" test $bad_digests = 0
  check "--threads=1 gives the same $alg image" "$mk" --hash=$alg --threads=1 "$src" "$work/$alg-1.cfs"
  check "  (bytes)" cmp -s "$work/$alg.cfs" "$work/$alg-1.cfs"
done

# ---- --digest-store: names, contents, holes --------------------------------
for alg in sha256 sha512; do
  store=$work/store-$alg
  check "mkcomposefs --hash=$alg --digest-store" "$mk" --hash=$alg --digest-store="$store" "$src" "$work/$alg-store.cfs"
  check "  the same image as without the store" cmp -s "$work/$alg.cfs" "$work/$alg-store.cfs"
  problems=0
  for f in "${files[@]}"; do
    [ $alg = sha256 ] && w=${digest256[$f]} || w=${digest512[$f]}
    obj=$store/${w:0:2}/${w:2}
    if [ ! -f "$obj" ]; then echo "  no object for $f"; problems=$((problems + 1)); continue; fi
    same_bytes "$src/$f" "$obj" || { echo "  $f: object differs"; problems=$((problems + 1)); }
    # Holes stay holes: an object takes no more blocks than its source (plus one
    # block per extent of slack for filesystems that round differently).
    [ "$(stat -c %b "$obj")" -le $(($(stat -c %b "$src/$f") + 64)) ] ||
      { echo "  $f: object has $(stat -c %b "$obj") blocks, source $(stat -c %b "$src/$f")"; problems=$((problems + 1)); }
  done
  check "every $alg object exists, equals its source and keeps its holes" test $problems = 0
  check "the $alg store holds little disk for $(du -sh --apparent-size "$store" | cut -f1) of objects" \
    test "$(du -sk "$store" | cut -f1)" -lt 20000
  check "composefs-store fsck of the $alg store" "$cs" fsck "$store" "$work/$alg-store.cfs"
done

echo "$pass passed, $fail failed"
[ $fail = 0 ]
