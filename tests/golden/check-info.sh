#!/usr/bin/env bash
# Golden tests for composefs-info and composefs-dump: their output must be byte-for-byte
# that of composefs-c 1.0.8 (expected values in random/expected.tsv, upstream/ assets,
# and constants below, all produced with the C tools).
#
# usage: check-info.sh TOOLS_DIR GOLDEN_DIR
#        check-info.sh MKCOMPOSEFS COMPOSEFS_INFO COMPOSEFS_DUMP GOLDEN_DIR
# TOOLS_DIR holds mkcomposefs, composefs-info and composefs-dump, either directly or
# in subdirectories of those names (a meson build directory).
#
# Prints one line per check (`ok - ...` / `FAIL - ...`, details on `#` lines), then
# `golden-info: N passed, M failed`; exits 1 if any check failed, 2 on bad usage.
set -euo pipefail
shopt -s nullglob

abspath() { echo "$(cd -- "$(dirname -- "$1")" && pwd)/$(basename -- "$1")"; }
find_tool() {  # find_tool DIR NAME
  if [ -x "$1/$2" ] && [ -f "$1/$2" ]; then abspath "$1/$2"; else abspath "$1/$2/$2"; fi
}
if [ $# -eq 2 ]; then
  MK=$(find_tool "$1" mkcomposefs)
  INFO=$(find_tool "$1" composefs-info)
  DUMP=$(find_tool "$1" composefs-dump)
  GOLDEN=$2
elif [ $# -eq 4 ]; then
  MK=$(abspath "$1")
  INFO=$(abspath "$2")
  DUMP=$(abspath "$3")
  GOLDEN=$4
else
  echo "usage: $0 TOOLS_DIR GOLDEN_DIR | $0 MKCOMPOSEFS COMPOSEFS_INFO COMPOSEFS_DUMP GOLDEN_DIR" >&2
  exit 2
fi
GOLDEN=$(cd -- "$GOLDEN" && pwd)
UP=$GOLDEN/upstream
RND=$GOLDEN/random
for t in "$MK" "$INFO" "$DUMP"; do
  if [ ! -x "$t" ]; then
    echo "$0: $t is not an executable" >&2
    exit 2
  fi
done
for t in sha256sum gzip xz cmp head truncate; do
  command -v "$t" >/dev/null || { echo "$0: required tool '$t' is not installed" >&2; exit 2; }
done

unset CFS_PARSE_STRICT
export LC_ALL=C
T=$(mktemp -d "${TMPDIR:-/tmp}/golden-info.XXXXXX")
trap 'rm -rf -- "$T"' EXIT

npass=0
nfail=0
ok() { echo "ok - $*"; npass=$((npass + 1)); }
notok() { echo "FAIL - $*"; nfail=$((nfail + 1)); }
note() { printf '#   %s\n' "$@"; }
note_file() { head -n 10 -- "$1" | cut -c1-300 | sed 's/^/#   | /'; }
check() {  # check DESC COMMAND...: ok if COMMAND succeeds
  local desc=$1
  shift
  if "$@"; then ok "$desc"; else notok "$desc"; fi
}
sha_of() { SHA=$(sha256sum <"$1"); SHA=${SHA%% *}; }

# run OUT ERR CMD...: runs CMD with stdout/stderr to files; status in RC
run() {
  local out=$1 err=$2
  shift 2
  RC=0
  "$@" >"$out" 2>"$err" || RC=$?
}

# expect_sha DESC FILE SHA
expect_sha() {
  sha_of "$2"
  if [ "$SHA" = "$3" ]; then
    ok "$1"
  else
    notok "$1"
    note "got      $SHA" "expected $3"
  fi
}

# expect_failure DESC TOOL: after `run`, exit status 1 and one stderr line "TOOL: ..."
expect_failure() {
  local lines=()
  mapfile lines <"$T/err"
  if [ "$RC" -eq 1 ] && [ ${#lines[@]} -eq 1 ] && [[ ${lines[0]} == "$2: "?*$'\n' ]]; then
    ok "$1: exit status 1, one '$2: ' error line"
  else
    notok "$1: exit status 1, one '$2: ' error line"
    note "exit status $RC; stderr:"
    note_file "$T/err"
  fi
}

is_strict() {
  case $1 in
    no-newline.dump | longlink.dump | honggfuzz-longlink-unterminated.dump) STRICT=0 ;;
    *) STRICT=1 ;;
  esac
}
mk() {  # mk STRICT ARGS...: status in RC, stderr in $T/mkerr
  local strict=$1
  shift
  RC=0
  if [ "$strict" = 1 ]; then
    CFS_PARSE_STRICT=1 "$MK" "$@" 2>"$T/mkerr" || RC=$?
  else
    "$MK" "$@" 2>"$T/mkerr" || RC=$?
  fi
}

# ---------------------------------------------------------------------------------
# 1. Generated dumps: info dump/objects/ls and composefs-dump against expected.tsv
# ---------------------------------------------------------------------------------
rows=0
while IFS=$'\t' read -r case vargs_s rc_exp img_sha dump_sha obj_sha ls_sha dt_sha <&3; do
  [ "$case" = case ] && continue
  [ -n "$case" ] && [ "$rc_exp" = 0 ] || continue
  rows=$((rows + 1))
  VARGS=()
  if [ "$vargs_s" != - ]; then read -r -a VARGS <<<"$vargs_s"; fi
  desc="random/$case"
  xz -dc "$RND/$case.dump.xz" >"$T/in.dump"
  rm -f "$T/img"
  mk 1 "${VARGS[@]}" --from-file "$T/in.dump" "$T/img"
  sha_of "$T/img"
  if [ "$RC" -ne 0 ] || [ "$SHA" != "$img_sha" ]; then
    notok "$desc: mkcomposefs wrote the expected image (needed for the checks below)"
    note_file "$T/mkerr"
    continue
  fi
  for cmd in dump objects ls; do
    case $cmd in dump) want=$dump_sha ;; objects) want=$obj_sha ;; ls) want=$ls_sha ;; esac
    run "$T/out" "$T/err" "$INFO" "$cmd" "$T/img"
    if [ "$RC" -ne 0 ]; then
      notok "$desc: composefs-info $cmd"
      note "exit status $RC"
      note_file "$T/err"
    else
      expect_sha "$desc: composefs-info $cmd" "$T/out" "$want"
    fi
  done
  rm -f "$T/re.img"
  run "$T/out" "$T/err" "$DUMP" "$T/img" "$T/re.img"
  if [ "$RC" -ne 0 ]; then
    notok "$desc: composefs-dump"
    note_file "$T/err"
  else
    expect_sha "$desc: composefs-dump" "$T/re.img" "$dt_sha"
  fi
done 3<"$RND/expected.tsv"
[ "$rows" -gt 0 ] || notok "rows found in $RND/expected.tsv"

# ---------------------------------------------------------------------------------
# 2. Upstream assets: composefs-dump IMAGE OUT and `composefs-info dump IMAGE |
#    mkcomposefs --from-file - OUT` both give OUT == IMAGE (as the C test suite).
# ---------------------------------------------------------------------------------
for f in "$UP"/*.sha256; do
  asset=${f##*/}
  asset=${asset%.sha256}
  read -r want _ <"$f" || true
  is_strict "$asset"
  VARGS=()
  base=${asset%.gz}
  if [ -f "$UP/$asset.version" ]; then v=$(cat "$UP/$asset.version"); VARGS=("--min-version=${v//[[:space:]]/}" "--max-version=${v//[[:space:]]/}"); fi
  if [ -f "$UP/$base.version" ]; then v=$(cat "$UP/$base.version"); VARGS=("--min-version=${v//[[:space:]]/}" "--max-version=${v//[[:space:]]/}"); fi
  if [[ $asset == *.gz ]]; then gzip -dc "$UP/$asset" >"$T/in.dump"; else cp "$UP/$asset" "$T/in.dump"; fi
  rm -f "$T/img" "$T/re.img" "$T/re2.img"
  mk "$STRICT" "${VARGS[@]}" --from-file "$T/in.dump" "$T/img"
  sha_of "$T/img"
  if [ "$RC" -ne 0 ] || [ "$SHA" != "$want" ]; then
    notok "$asset: mkcomposefs wrote the expected image (needed for the checks below)"
    continue
  fi
  run "$T/out" "$T/err" "$DUMP" "$T/img" "$T/re.img"
  if [ "$RC" -eq 0 ] && cmp -s "$T/img" "$T/re.img"; then
    ok "$asset: composefs-dump IMAGE OUT gives OUT == IMAGE"
  else
    notok "$asset: composefs-dump IMAGE OUT gives OUT == IMAGE"
    note "exit status $RC"
    note_file "$T/err"
  fi
  RC=0
  "$INFO" dump "$T/img" 2>"$T/err" >"$T/info.dump" || RC=$?
  mk "$STRICT" "${VARGS[@]}" --from-file - "$T/re2.img" <"$T/info.dump"
  if cmp -s "$T/img" "$T/re2.img"; then
    ok "$asset: composefs-info dump | mkcomposefs gives the same image"
  else
    notok "$asset: composefs-info dump | mkcomposefs gives the same image"
    note_file "$T/err"
    note_file "$T/mkerr"
  fi
done

# ---------------------------------------------------------------------------------
# 3. --filter (C: tests/test-dump-filtered.sh) and several images in one call
# ---------------------------------------------------------------------------------
if [ -f "$UP/special.dump" ]; then
  mk 1 --from-file "$UP/special.dump" "$T/special.img"
  run "$T/out" "$T/err" "$INFO" --filter=chardev --filter=inline --filter=whiteout dump "$T/special.img"
  check "--filter: 4 lines" [ "$(wc -l <"$T/out")" = 4 ]
  check "--filter: root line" grep -q '^/ 4096 40555.*trusted.foo1' "$T/out"
  check "--filter: chardev, inline and whiteout lines" \
    bash -c "grep -q '^/chardev 0 20777' '$T/out' && grep -q '^/inline 15 100777.*FOOBAR' '$T/out' && grep -q '^/whiteout 0 20777' '$T/out'"
  expect_sha "--filter: output as C" "$T/out" 4356205c680cc842f209979769e08e2df499aa5c066b39abe358a5aff04a439b
  run "$T/out" "$T/err" "$INFO" dump --filter=a/b "$T/special.img"
  expect_failure "--filter=a/b" composefs-info

  "$INFO" ls "$T/special.img" >"$T/one"
  cat "$T/one" "$T/one" >"$T/two"
  run "$T/out" "$T/err" "$INFO" ls "$T/special.img" "$T/special.img"
  check "ls IMAGE IMAGE prints both listings" cmp -s "$T/out" "$T/two"
else
  notok "upstream/special.dump found"
fi

# ---------------------------------------------------------------------------------
# 4. objects / missing-objects with a partial store (expected output from C)
# ---------------------------------------------------------------------------------
cat >"$T/m.dump" <<'EOF'
/ 0 40755 2 0 0 0 0.0 - - -
/a 10 100644 1 0 0 0 0.0 aa/bb - -
/b 10 100644 1 0 0 0 0.0 /cc/dd - -
/c 10 100644 1 0 0 0 0.0 ee/ff - -
/d 10 100644 1 0 0 0 0.0 aa/bb - -
EOF
mk 1 --from-file "$T/m.dump" "$T/m.img"
mkdir -p "$T/store/aa" "$T/store/ee"
echo x >"$T/store/aa/bb"
echo x >"$T/store/ee/ff"
run "$T/out" "$T/err" "$INFO" objects "$T/m.img"
check "objects: sorted, unique" [ "$(cat "$T/out")" = $'/cc/dd\naa/bb\nee/ff' ]
run "$T/out" "$T/err" "$INFO" --basedir="$T/store" missing-objects "$T/m.img"
check "missing-objects with a partial store" [ "$(cat "$T/out")" = /cc/dd ]
# Not as C (issue 20): C stats the path, so a directory in an object's place
# counts as present; the kernel mount cannot use it, so it is missing here.
rm "$T/store/ee/ff" && mkdir "$T/store/ee/ff"
run "$T/out" "$T/err" "$INFO" --basedir="$T/store" missing-objects "$T/m.img"
check "missing-objects: a directory is no object (not as C)" [ "$(cat "$T/out")" = $'/cc/dd\nee/ff' ]
run "$T/out" "$T/err" "$INFO" missing-objects "$T/m.img" </dev/null
check "missing-objects without --basedir lists everything (as C)" [ "$(cat "$T/out")" = $'/cc/dd\naa/bb\nee/ff' ]

# ---------------------------------------------------------------------------------
# 5. measure-file: fs-verity digests (composefs-c 1.0.8 values)
# ---------------------------------------------------------------------------------
: >"$T/empty"
printf 'hello world\n' >"$T/hello"
printf 'foo bar baz\n' >"$T/foo"
head -c 4096 /dev/zero >"$T/z4096"
head -c 4097 /dev/zero >"$T/z4097"
run "$T/out" "$T/err" "$INFO" measure-file "$T/empty" "$T/hello" "$T/foo" "$T/z4096" "$T/z4097"
check "measure-file: five known digests" [ "$(cat "$T/out")" = "3d248ca542a24fc62d1c43b916eae5016878e2533c88238480b26128a1f1af95
37061ef2ac4c21bec68489b56138c5780306a4ad7fe6676236ecdf2c9027cd92
91e7d88cb7bc9cf6d8db3b0ecf89af4abf204bef5b3ade5113d5b62ef374e70b
babc284ee4ffe7f449377fbf6692715b43aec7bc39c094a95878904d34bac97e
093756e4ea9683329106d4a16982682ed182c14bf076463a9e7f97305cbac743" ]
run "$T/out" "$T/err" "$INFO" measure-file "$T/does-not-exist"
expect_failure "measure-file of a missing file" composefs-info

# ---------------------------------------------------------------------------------
# 6. fsck: a good store, then a missing, a truncated and a modified object
# ---------------------------------------------------------------------------------
cat >"$T/f.dump" <<'EOF'
/ 0 40755 2 0 0 0 0.0 - - -
/hello 12 100644 1 0 0 0 0.0 37/061ef2 - 37061ef2ac4c21bec68489b56138c5780306a4ad7fe6676236ecdf2c9027cd92
/foo 12 100644 1 0 0 0 0.0 91/e7d88c - 91e7d88cb7bc9cf6d8db3b0ecf89af4abf204bef5b3ade5113d5b62ef374e70b
/zero 4096 100644 1 0 0 0 0.0 ba/bc284e - babc284ee4ffe7f449377fbf6692715b43aec7bc39c094a95878904d34bac97e
/zero2 4096 100644 1 0 0 0 0.0 ba/bc284e - babc284ee4ffe7f449377fbf6692715b43aec7bc39c094a95878904d34bac97e
EOF
mk 1 --from-file "$T/f.dump" "$T/f.img"
mkdir -p "$T/fs/37" "$T/fs/91" "$T/fs/ba"
cp "$T/hello" "$T/fs/37/061ef2"
cp "$T/foo" "$T/fs/91/e7d88c"
cp "$T/z4096" "$T/fs/ba/bc284e"
run "$T/out" "$T/err" "$INFO" fsck --basedir="$T/fs" "$T/f.img"
if [ "$RC" -eq 0 ] && [ "$(wc -l <"$T/out")" = 1 ]; then ok "fsck: good store"; else notok "fsck: good store"; note_file "$T/out"; note_file "$T/err"; fi
rm "$T/fs/37/061ef2"
truncate -s 5 "$T/fs/91/e7d88c"
printf '\1' | dd of="$T/fs/ba/bc284e" bs=1 seek=100 conv=notrunc status=none
run "$T/out" "$T/err" "$INFO" fsck --basedir="$T/fs" "$T/f.img"
if [ "$RC" -eq 1 ] && grep -q '/hello: .*missing' "$T/out" && grep -q '/foo: .*size 5' "$T/out" &&
  grep -q '/zero: .*digest' "$T/out" && grep -q '/zero2: .*digest' "$T/out" && [ "$(wc -l <"$T/out")" = 4 ]; then
  ok "fsck: missing, truncated and modified objects, one line each"
else
  notok "fsck: missing, truncated and modified objects, one line each"
  note "exit status $RC"
  note_file "$T/out"
fi
run "$T/out" "$T/err" "$INFO" fsck "$T/f.img"
check "fsck without --basedir: structure only" [ "$RC" -eq 0 ]

# ---------------------------------------------------------------------------------
# 7. Bad input: exit 1 with one error line, never a crash; composefs-dump writes nothing
# ---------------------------------------------------------------------------------
printf 'not an image\n' >"$T/text"
head -c 8192 /dev/zero >"$T/zeros"
bad=("$T/text" "$T/empty" "$T/zeros" "$T/does-not-exist")
size=$(stat -c %s "$T/special.img")
for len in 100 1100 4096 4200 8192 $((size - 4096)) $((size - 1)); do
  head -c "$len" "$T/special.img" >"$T/trunc-$len"
  bad+=("$T/trunc-$len")
done
for b in "${bad[@]}"; do
  name=${b##*/}
  run "$T/out" "$T/err" "$INFO" dump "$b"
  expect_failure "composefs-info dump $name" composefs-info
  rm -f "$T/bad-out.img"
  run "$T/out" "$T/err" "$DUMP" "$b" "$T/bad-out.img"
  expect_failure "composefs-dump $name" composefs-dump
  check "composefs-dump $name: no OUT written" [ ! -e "$T/bad-out.img" ]
done
run "$T/out" "$T/err" "$INFO" fsck "$T/trunc-8192"
check "fsck of a truncated image fails" [ "$RC" -eq 1 ]
# Bit flips over the metadata: any exit status but a crash, one line when failing.
crashes=0
multi=0
for pos in $(seq 1024 37 $((size < 12288 ? size - 1 : 12287))); do
  cp "$T/special.img" "$T/flip"
  printf "\\x$(printf %02x $(((pos * 7) % 255 + 1)))" | dd of="$T/flip" bs=1 seek="$pos" conv=notrunc status=none
  run "$T/out" "$T/err" "$INFO" dump "$T/flip"
  if [ "$RC" -ne 0 ] && [ "$RC" -ne 1 ]; then crashes=$((crashes + 1)); note "byte $pos: exit status $RC"; fi
  if [ "$RC" -eq 1 ] && [ "$(wc -l <"$T/err")" != 1 ]; then multi=$((multi + 1)); fi
done
check "bit-flipped images: no crash" [ "$crashes" -eq 0 ]
check "bit-flipped images: one error line when rejected" [ "$multi" -eq 0 ]

# ---------------------------------------------------------------------------------
# 8. Command line
# ---------------------------------------------------------------------------------
run "$T/out" "$T/err" "$INFO" --help
check "--help: exit 0 and usage on stdout" bash -c "[ $RC -eq 0 ] && grep -q '^usage: ' '$T/out'"
run "$T/out" "$T/err" "$INFO" frobnicate "$T/special.img"
check "unknown command: exit 1" [ "$RC" -eq 1 ]
run "$T/out" "$T/err" "$INFO" dump
check "no image: exit 1" [ "$RC" -eq 1 ]
run "$T/out" "$T/err" "$INFO" "$T/special.img"
check "image but no command: exit 1" [ "$RC" -eq 1 ]

echo "golden-info: $npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
