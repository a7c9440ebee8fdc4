#!/usr/bin/env bash
# mkcomposefs on directory trees: image bytes, object store contents and printed
# digests equal composefs-c 1.0.8's (tests/golden/trees/expected.tsv), plus the
# object store's own guarantees. Needs root to extract the trees with their owners,
# devices and trusted.* xattrs; without root it says so and skips.
#   check-trees.sh MKCOMPOSEFS GOLDEN_DIR FSVERITY_DIGEST_TOOL
set -uo pipefail
mk=$1
golden=$2/trees
digest_tool=$3
if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP: not root: the golden trees hold devices, foreign owners and trusted.* xattrs that only root can extract"
  exit 77
fi
work=$(mktemp -d)
cleanup() { umount "$work/small" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
pass=0 fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
bad() { echo "FAIL - $1"; fail=$((fail + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
listing() { (cd "$1" && find . -type f -printf '%P %s %m\n' | LC_ALL=C sort | sha256sum | cut -c1-64); }

for t in perl-base special zoneinfo; do
  mkdir -p "$work/src/$t"
  tar --xattrs --xattrs-include='*' --numeric-owner -xpJf "$golden/$t.tar.xz" -C "$work/src/$t"
done

while IFS=$'\t' read -r tree opts image_sha store_sha digest; do
  [ "$tree" = tree ] && continue
  rm -rf "$work/store" "$work/img"
  args=${opts//STORE/$work/store}
  [ "$args" = - ] && args=
  # shellcheck disable=SC2086
  out=$("$mk" $args "$work/src/$tree" "$work/img" 2> "$work/err")
  rc=$?
  name="$tree [$opts]"
  check "$name: exit 0" test $rc -eq 0
  check "$name: image sha256" test "$(sha256sum < "$work/img" | cut -c1-64)" = "$image_sha"
  [ "$store_sha" = - ] || check "$name: store listing" test "$(listing "$work/store")" = "$store_sha"
  [ "$digest" = - ] || check "$name: printed digest" test "$out" = "$digest"
done < "$golden/expected.tsv"

# The object store: names are digests, a second run adds nothing, threads don't matter.
src=$work/src/special
"$mk" --digest-store="$work/store" --threads=1 "$src" "$work/t1.cfs"
bad_names=$(cd "$work/store" && "$digest_tool" */* | awk '{ split($2, p, "/"); if ($1 != p[1] p[2]) print $2 }')
check "every object's fs-verity digest is its name" test -z "$bad_names"
check "objects are mode 0644" test -z "$(find "$work/store" -type f ! -perm 0644)"
before=$(cd "$work/store" && find . -type f -printf '%P %i %T@\n' | sort)
"$mk" --digest-store="$work/store" --threads=8 "$src" "$work/t8.cfs"
check "--threads=1 and --threads=8 give identical images" cmp -s "$work/t1.cfs" "$work/t8.cfs"
after=$(cd "$work/store" && find . -type f -printf '%P %i %T@\n' | sort)
check "a second run against the same store copies nothing" test "$before" = "$after"
check "no temporary files left in the store" test -z "$(find "$work/store" -name '.tmp-*')"
check "64-byte file inlined, 65-byte file stored" bash -c \
  "cd '$src' && [ \$(stat -c %s b64) = 64 ] && [ \$(stat -c %s b65) = 65 ] && \
   [ \$(find '$work/store' -type f -size 65c | wc -l) -ge 1 ] && [ \$(find '$work/store' -type f -size 64c | wc -l) -eq 0 ]"

# A store on a full filesystem fails cleanly: exit 1, one message, no image, no torn object.
mkdir -p "$work/small"
if mount -t tmpfs -o size=256k tmpfs "$work/small" 2>/dev/null; then
  head -c 2000000 /dev/urandom > "$work/src/special/big-random"
  "$mk" --digest-store="$work/small/store" "$work/src/special" "$work/full.cfs" 2> "$work/err"
  rc=$?
  check "ENOSPC: exit 1" test $rc -eq 1
  check "ENOSPC: one message" grep -q '^mkcomposefs: .*No space left on device' "$work/err"
  check "ENOSPC: no image" test ! -e "$work/full.cfs"
  check "ENOSPC: no temporary or partial object" test -z "$(find "$work/small/store" -type f 2>/dev/null)"
  rm -f "$work/src/special/big-random"
else
  echo "SKIP: cannot mount a tmpfs for the ENOSPC test"
fi

# Bad sources.
check "missing source: exit 1" bash -c "! '$mk' '$work/nope' '$work/x.cfs' 2>/dev/null"
check "source is a file: exit 1" bash -c "! '$mk' '$golden/expected.tsv' '$work/x.cfs' 2>/dev/null"
check "  and no image" test ! -e "$work/x.cfs"

echo "trees: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
