#!/usr/bin/env bash
# composefs-store gc on real stores: the removed set is exactly what the kept
# images do not list (composefs-info objects), the dry run, every refusal, no
# symlink followed, a gc racing a build, and kill -9 at several points of a gc.
#   check-store-gc.sh MKCOMPOSEFS COMPOSEFS_INFO COMPOSEFS_STORE MOUNT_COMPOSEFS
# The mount checks after kill -9 need root and kernel erofs/overlay; without them
# only those rows are skipped (the store checks still run).
set -uo pipefail
mk=$1 info=$2 cs=$3 mc=$4
work=$(mktemp -d /tmp/cfs-store-gc.XXXXXX)
cleanup() {
  grep -F " $work/" /proc/self/mountinfo | awk '{print $5}' | sort -r | while read -r m; do umount -l "$m"; done
  rm -rf "$work"
}
trap cleanup EXIT
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

# ---- two images sharing objects in one store --------------------------------
make_tree "$work/a" a
cp -r "$work/a" "$work/b"
ls -d "$work/b"/*/ | head -30 | xargs rm -rf
printf 'only in b: more than sixty-four bytes of text so that it becomes an object\n' > "$work/b/unique-b"
st=$work/store
"$mk" --digest-store="$st" "$work/a" "$work/a.cfs"
"$mk" --digest-store="$st" "$work/b" "$work/b.cfs"
mkdir "$st/lost+found" && echo keep > "$st/lost+found/saved"
all=$(store_objects "$st")
keep_b=$(image_objects "$work/b.cfs")
garbage=$(comm -23 <(echo "$all") <(echo "$keep_b"))
note "store: $(echo "$all" | wc -l) objects; b.cfs uses $(echo "$keep_b" | wc -l); garbage $(echo "$garbage" | wc -l)"
check "setup: both images put objects in the store, b shares some with a" \
  test "$(echo "$garbage" | wc -l)" -gt 10 -a "$(comm -12 <(echo "$all") <(echo "$keep_b") | wc -l)" -gt 10

# ---- dry run ----------------------------------------------------------------
before=$(store_state "$st")
run "$cs" gc --dry-run --grace=0 "$st" "$work/b.cfs"
check "dry run: exit 0" test $rc = 0
check "dry run: lists exactly the objects b.cfs does not use" same "$(grep -v '^gc' "$work/out")" "$garbage"
check "dry run: a summary line" grep -q '^gc: would remove [0-9]* objects' "$work/out"
check "dry run: removes nothing" same "$(store_state "$st")" "$before"
run "$cs" gc --dry-run --json --grace=0 "$st" "$work/b.cfs"
check "dry run --json: one valid JSON document" json_ok "$work/out"
check "dry run --json: would_remove lists the garbage" same \
  "$(python3 -c 'import json,sys; print("\n".join(json.load(sys.stdin)["would_remove"]))' < "$work/out")" "$garbage"
run "$cs" gc --dry-run "$st" "$work/b.cfs"
check "default grace (1 hour): objects just written are all kept" \
  bash -c "! grep -q '^[0-9a-f][0-9a-f]/' '$work/out' && grep -q 'unreferenced but recent' '$work/out'"

# ---- refusals: exit 1, one message, nothing removed ---------------------------
head -c 8192 /dev/urandom > "$work/random.img"
: > "$work/empty.img"
mkdir -p "$work/home" && echo x > "$work/home/.bashrc" && mkdir "$work/home/00"
mkdir -p "$work/linked" "$work/outside/00" && ln -s "$work/outside/00" "$work/linked/00"
refusal() {  # refusal WHAT STORE ARGS...: gc refuses and leaves STORE as it was
  local what=$1 store=$2; shift 2
  local state; state=$(store_state "$store" 2> /dev/null)
  run "$cs" gc --grace=0 "$@"
  check "refused: $what: exit 1 with one message" refused
  check "refused: $what: nothing removed" same "$(store_state "$store" 2> /dev/null)" "$state"
}
refusal "missing image" "$st" "$st" "$work/b.cfs" "$work/no-such.cfs"
refusal "empty image file" "$st" "$st" "$work/b.cfs" "$work/empty.img"
refusal "random bytes as image" "$st" "$st" "$work/random.img" "$work/b.cfs"
refusal "a directory as image" "$st" "$st" "$work/b.cfs" "$work/a"
refusal "STORE missing" "$st" "$work/no-such-store" "$work/b.cfs"
refusal "STORE is a home directory (.bashrc)" "$work/home" "$work/home" "$work/b.cfs"
refusal "STORE's xx/ is a symlink out of it" "$work/outside" "$work/linked" "$work/b.cfs"
refusal "no image named" "$st" "$st"
run "$cs" gc "$st" "$work/no-such.cfs"
check "refusal message names the image and says nothing was removed" grep -q "no-such.cfs.*nothing removed" "$work/err"

# ---- the real gc --------------------------------------------------------------
outside=$work/outside-target
echo "precious data outside the store" > "$outside"
fake=ab/$(printf '%062d' 0 | tr 0 c)
mkdir -p "$st/ab" && ln -s "$outside" "$st/$fake"
echo tmp > "$st/.tmp-leftover" && echo tmp > "$st/ab/.tmpXYZ123"
run "$cs" gc --grace=0 "$st" "$work/b.cfs"
check "gc: exit 0" test $rc = 0
check "gc: the store now holds exactly b.cfs's objects" same "$(store_objects "$st")" "$keep_b"
check "gc: composefs-info missing-objects b.cfs is empty" \
  test -z "$("$info" --basedir="$st" missing-objects "$work/b.cfs")"
check "gc: an unreferenced symlink is removed, its target untouched" \
  bash -c "[ ! -L '$st/$fake' ] && [ \"\$(cat '$outside')\" = 'precious data outside the store' ]"
check "gc: temporary files removed" test ! -e "$st/.tmp-leftover" -a ! -e "$st/ab/.tmpXYZ123"
check "gc: lost+found is not objects" test "$(cat "$st/lost+found/saved")" = keep
check "gc: no lock file (the store directory itself is locked)" test ! -e "$st/.lock"
check "gc: no empty xx/ directory left" test -z "$(find "$st" -mindepth 1 -maxdepth 1 -type d -empty)"
check "gc: summary counts what was removed (garbage and the symlink) and kept" \
  grep -q "^gc: removed $(($(echo "$garbage" | wc -l) + 1)) objects.*kept $(echo "$keep_b" | wc -l) objects" "$work/out"
run "$cs" gc --grace=0 --json "$st" "$work/b.cfs"
check "gc --json: valid, nothing more to remove" bash -c \
  "python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[\"removed\"][\"objects\"] == 0' < '$work/out'"

. "$(dirname "$0")/gc-race-kill.sh"
finish
