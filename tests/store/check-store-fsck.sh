#!/usr/bin/env bash
# composefs-store fsck and stat on a real store: a flipped byte, a truncated
# object, a bad mode, leftovers and stray names are each reported on one line,
# --repair moves them to lost+found (data kept), images' missing objects too.
#   check-store-fsck.sh MKCOMPOSEFS COMPOSEFS_INFO COMPOSEFS_STORE
set -uo pipefail
mk=$1 info=$2 cs=$3
work=$(mktemp -d /tmp/cfs-store-fsck.XXXXXX)
trap 'rm -rf "$work"' EXIT
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

make_tree "$work/a" a
st=$work/store
"$mk" --digest-store="$st" "$work/a" "$work/a.cfs"
run "$cs" fsck "$st" "$work/a.cfs"
check "fsck of a fresh store and its image: exit 0" test $rc = 0
check "fsck: a summary line and nothing else" bash -c "[ \$(wc -l < '$work/out') = 1 ] && grep -q '^fsck: [0-9]* objects' '$work/out'"
run "$cs" fsck --json "$st"
check "fsck --json: valid, no problems" bash -c \
  "python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[\"problems\"] == [] and d[\"objects\"] > 100' < '$work/out'"

# ---- damage ------------------------------------------------------------------
mapfile -t big < <(cd "$st" && find . -mindepth 2 -type f -size +8k | cut -c3- | LC_ALL=C sort)
flipped=${big[0]} truncated=${big[1]} badmode=${big[2]}
printf '\x55' | dd of="$st/$flipped" bs=1 seek=5000 conv=notrunc status=none
cp "$st/$flipped" "$work/flipped-copy"
truncate -s 4096 "$st/$truncated"
chmod 0777 "$st/$badmode"
echo leftover > "$st/.tmpAbC123"
echo junk > "$st/${flipped%%/*}/not-an-object"
mkdir -p "$st/${flipped%%/*}/$(printf '%062d' 7)"
unreferenced=ee/$(printf '%062d' 0 | tr 0 e)
mkdir -p "$st/ee" && echo "no image uses this, and its name is wrong" > "$st/$unreferenced"
before=$(store_state "$st")
run "$cs" fsck "$st" "$work/a.cfs"
check "fsck of a damaged store: exit 1" test $rc = 1
has() { grep -qF -- "$1" "$work/out" || { note "no line with: $1"; return 1; }; }
check "fsck: the flipped byte is reported" has "$st/$flipped: content does not match its name"
check "fsck: the truncated object is reported" has "$st/$truncated: content does not match its name"
check "fsck: the bad mode is reported" has "$st/$badmode: mode 0777"
check "fsck: the leftover temporary file is reported" has "$st/.tmpAbC123: leftover temporary file"
check "fsck: a stray name in xx/ is reported" has "${flipped%%/*}/not-an-object: not an object"
check "fsck: a directory named like an object is reported" has "$(printf '%062d' 7): not a regular file"
check "fsck: unreferenced objects are checked too" has "$st/$unreferenced: content does not match"
check "fsck: one line per problem, then the summary" test "$(wc -l < "$work/out")" = 8
check "fsck without --repair changes nothing" same "$(store_state "$st")" "$before"

# ---- repair ------------------------------------------------------------------
run "$cs" fsck --repair --json "$st" "$work/a.cfs"
check "fsck --repair: exit 1 (problems were found)" test $rc = 1
check "fsck --repair --json: valid JSON" json_ok "$work/out"
lf=$st/lost+found
check "--repair: the flipped object is in lost+found, bytes kept" cmp -s "$work/flipped-copy" "$lf/${flipped/\//-}"
check "--repair: the truncated object is in lost+found" test "$(stat -c %s "$lf/${truncated/\//-}")" = 4096
check "--repair: both are gone from their names" test ! -e "$st/$flipped" -a ! -e "$st/$truncated"
check "--repair: the bad mode is now 0644" test "$(stat -c %a "$st/$badmode")" = 644
check "--repair: leftovers moved, not deleted" test -f "$lf/.tmpAbC123" -a -f "$lf/${flipped%%/*}-not-an-object"
check "--repair: the images' objects now missing are reported" \
  bash -c "python3 -c 'import json,sys; d=json.load(sys.stdin); assert sum(\"now missing\" in p[\"problem\"] for p in d[\"problems\"]) == 2' < '$work/out'"
run "$cs" fsck "$st"
check "after --repair, fsck of the store alone: exit 0" test $rc = 0
run "$cs" fsck "$st" "$work/a.cfs"
check "with the image: exit 1, its two lost objects reported as missing" \
  bash -c "[ $rc = 1 ] && [ \$(grep -c 'is missing from the store' '$work/out') = 2 ]"
"$mk" --digest-store="$st" "$work/a" "$work/a2.cfs"
run "$cs" fsck "$st" "$work/a.cfs"
check "a rebuild restores the objects; fsck: exit 0" test $rc = 0
run "$cs" gc --grace=0 "$st" "$work/a.cfs"
check "gc leaves lost+found alone" test -f "$lf/.tmpAbC123" -a -f "$lf/${flipped/\//-}"

# ---- refusals ------------------------------------------------------------------
mkdir -p "$work/home" && echo x > "$work/home/notes.txt"
run "$cs" fsck "$work/home"
check "fsck refuses a directory that is not a store" refused
run "$cs" fsck --repair "$work/home"
check "fsck --repair refuses it too, touching nothing" bash -c "[ $rc = 1 ] && [ ! -e '$work/home/lost+found' ]"
run "$cs" fsck --dry-run "$st"
check "--dry-run is refused for fsck" refused
run "$cs" fsck "$st" "$work/no-such.cfs"
check "fsck with a missing image: refused" refused

# ---- stat ----------------------------------------------------------------------
cp -r "$work/a" "$work/b" && printf 'b alone: %080d\n' 0 > "$work/b/unique-b" && rm "$work/b/random-a"
"$mk" --digest-store="$st" "$work/b" "$work/b.cfs"
run "$cs" stat --json "$st" "$work/a.cfs" "$work/b.cfs"
check "stat --json: valid" json_ok "$work/out"
size_of() { stat -c %s "$st/$1"; }
ua=$("$info" objects "$work/a.cfs" | LC_ALL=C sort > "$work/oa"; "$info" objects "$work/b.cfs" | LC_ALL=C sort > "$work/ob"
     comm -23 "$work/oa" "$work/ob" | while read -r o; do size_of "${o#/}"; done | awk '{s += $1} END {print s + 0}')
check "stat: bytes only a.cfs holds = sizes of the objects b.cfs does not list" \
  bash -c "python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[\"images\"][0][\"only_this_image\"][\"bytes\"] == $ua, d' < '$work/out'"
check "stat: store totals count every object" bash -c \
  "python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[\"store\"][\"objects\"] == $(store_objects "$st" | wc -l)' < '$work/out'"
run "$cs" stat "$st" "$work/a.cfs"
check "stat (text): a line for the store and one per image" test "$(wc -l < "$work/out")" = 2
finish
