#!/usr/bin/env bash
# The streaming composefs-info listings (lib/stream) against the tree-based ones
# (erofs::read_image + lib/dump/print): compare_stream checks ls, dump and objects
# of every image below, with and without --filter, and a small decode budget.
# Images: the golden dumps (v0 and v1), random real trees (gentree.py, with and
# without --hardlinks), hand-made dumps with hardlinks (to files, symlinks,
# directories), whiteouts, overlay and escaped overlay xattrs, shared xattrs and
# SHA-512 digests, and corrupted images (truncations, bit flips).
# Then composefs-info itself: identical output for every image, and nothing on
# stdout for an image it refuses.
#
# usage: check-stream.sh MKCOMPOSEFS COMPOSEFS_INFO COMPARE_STREAM TESTS_DIR
set -uo pipefail
mk=$1 info=$2 compare=$3 tests=$4
work=$(mktemp -d "${TMPDIR:-/tmp}/check-stream.XXXXXX")
trap 'rm -rf -- "$work"' EXIT
export LC_ALL=C
pass=0 fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
bad() { echo "FAIL - $1"; fail=$((fail + 1)); }
images=()

# build NAME MKCOMPOSEFS-ARGS...: an image in $work/NAME.img, listed for the checks.
build() {
  local name=$1; shift
  if "$mk" "$@" "$work/$name.img" 2> "$work/mk.err"; then images+=("$work/$name.img")
  else bad "builds $name: $(head -c 200 "$work/mk.err")"; fi
}

# 1. Golden dumps, at version 0 and 1.
for f in "$tests"/golden/upstream/*.dump "$tests"/golden/upstream/*.dump.gz "$tests"/golden/random/*.dump.xz; do
  base=$(basename "$f"); base=${base%%.*}
  case $base in should-fail-*) continue ;; esac
  case $f in *.xz) xz -dc "$f" > "$work/in.dump" ;; *) cp "$f" "$work/in.dump" ;; esac
  for v in 0 1; do
    "$mk" --min-version=$v --max-version=$v --from-file "$work/in.dump" "$work/g-$base-v$v.img" 2> /dev/null &&
      images+=("$work/g-$base-v$v.img")
  done
done

# 2. Hand-made dumps: hardlinks (first name in walk order vs. later ones, to a
# symlink, to an (empty: mkcomposefs takes no other) directory), whiteouts,
# overlay xattrs, shared xattrs. Links to a non-empty directory and to the root
# (cycles) are made by editing images in tests/unit/test_stream.cpp.
d64=$(printf 'ab%.0s' {1..32}) d128=$(printf 'cd%.0s' {1..64})
cat > "$work/links.dump" <<DUMP
/ 4096 40755 2 0 0 0 0.0 - - - user.shared=same
/a 4096 40755 2 0 0 0 0.0 - - - user.shared=same
/a/first 5 100644 3 0 0 0 0.0 - hello - user.shared=same
/a/sub 4096 40755 2 0 0 0 0.0 - - -
/a/sub/x 0 100644 1 0 0 0 0.0 - - - trusted.overlay.custom=1 trusted.overlay.opaque=y user.overlay.x=2
/b 0 @100644 0 0 0 0 0.0 /a/first - -
/c 0 @100644 0 0 0 0 0.0 /a/first - -
/e 4096 40755 2 0 0 0 0.0 - - - user.e=1
/elink 0 @100644 0 0 0 0 0.0 /e - -
/sym 3 120777 1 0 0 0 0.0 /a/first - - user.shared=same
/symlink 0 @120777 0 0 0 0 0.0 /sym - -
/wh 0 20000 1 0 0 0 0.0 - - - user.shared=same
/whl 0 @20000 0 0 0 0 0.0 /wh - -
/ext 100 100644 1 0 0 0 0.0 ${d64:0:2}/${d64:2} - $d64
/ext2 100 100644 1 0 0 0 0.0 ${d64:0:2}/${d64:2} - $d64
/odd 100 100644 1 0 0 0 0.0 /odd/path - -
/- 1 100644 1 0 0 0 0.0 - - -
/sp\x20ace\x3d 1 100644 1 0 0 0 0.0 - \x2d - user.a\x3db=c\x3dd
DUMP
cat > "$work/sha512.dump" <<DUMP
/ 4096 40755 2 0 0 0 0.0 - - -
/big 100000 100644 1 0 0 0 0.0 ${d128:0:2}/${d128:2} - $d128
/big2 100000 100644 2 0 0 0 0.0 cd/x - $d128
/link 0 @100644 0 0 0 0 0.0 /big2 - -
DUMP
for v in 0 1; do
  build links-v$v --min-version=$v --max-version=$v --from-file "$work/links.dump"
  build sha512-v$v --min-version=$v --max-version=$v --from-file "$work/sha512.dump"
done

# 3. Random real trees, with and without --hardlinks (as root: whiteouts, owners,
# trusted.* xattrs too).
for seed in 1 2 3 4; do
  if python3 "$tests/oracle/gentree.py" "$seed" "$work/tree$seed" > /dev/null 2>&1; then
    build "tree$seed" --digest-store="$work/store" "$work/tree$seed"
    build "tree$seed-hl" --hardlinks "$work/tree$seed"
  else bad "gentree.py $seed"; fi
done

# 4. Corrupted images: truncations and bit flips (fixed LCG) of the links image.
base=$work/links-v1.img size=$(stat -c %s "$base")
for cut in 1024 4095 $((size / 2)) $((size - 1)); do
  head -c "$cut" "$base" > "$work/cut$cut.img"; images+=("$work/cut$cut.img")
done
off=11
for i in $(seq 1 40); do
  off=$(((off * 1103515245 + 12345) % size))
  cp "$base" "$work/flip$i.img"
  byte=$(od -An -tu1 -j "$off" -N1 "$base" | tr -d ' ')
  printf "$(printf '\\%03o' $((byte ^ (1 << (i % 8)))))" | dd of="$work/flip$i.img" bs=1 seek="$off" conv=notrunc status=none
  images+=("$work/flip$i.img")
done

echo "# ${#images[@]} images"
check_compare() {  # check_compare LABEL ARGS...
  local label=$1; shift
  if "$compare" "$@" > "$work/cmp.out"; then ok "$label"; else bad "$label"; grep FAIL "$work/cmp.out" | head -5 | sed 's/^/#   /'; fi
}
check_compare "stream = tree listings: ${#images[@]} images" "${images[@]}"
check_compare "stream = tree listings with --filter=a --filter=sym --filter=usr" --filter=a --filter=sym --filter=usr "${images[@]}"
check_compare "stream = tree listings with a small decode budget (E2BIG alike)" --budget=300000 "${images[@]}"
check_compare "stream = tree listings with a tiny decode budget" --budget=3000 "${images[@]}"

# 5. composefs-info itself: hardlink lines as the tree printer made them (expected
# text), and nothing on stdout for a refused image.
"$info" dump "$work/links-v1.img" > "$work/links.out" 2>&1
if grep -qxF '/b 5 @100644 3 0 0 0 0.0 /a/first hello - user.shared=same' "$work/links.out" &&
   grep -qxF '/elink 27 @40755 2 0 0 0 0.0 /e - - user.e=1' "$work/links.out"; then
  ok "composefs-info dump: hardlink lines point at the first name"
else bad "composefs-info dump: hardlink lines"; sed 's/^/#   /' "$work/links.out" | head -30; fi
refused=0 quiet=0
for img in "$work"/cut*.img "$work"/flip*.img; do
  for cmd in dump ls objects; do
    rc=0; "$info" "$cmd" "$img" > "$work/o" 2> "$work/e" || rc=$?
    [ "$rc" = 1 ] || continue
    refused=$((refused + 1))
    [ -s "$work/o" ] || [ ! -s "$work/e" ] || quiet=$((quiet + 1))
  done
done
if [ "$refused" -gt 0 ] && [ "$refused" = "$quiet" ]; then ok "composefs-info: $refused refusals, each with a message and no output"
else bad "composefs-info: $refused refusals, $quiet of them quiet on stdout with a message"; fi

echo "check-stream: $pass passed, $fail failed"
[ "$fail" = 0 ]
