#!/usr/bin/env bash
# Command-line behaviour of mkcomposefs: options, exit codes, messages, atomic output.
#   check-mkcomposefs-cli.sh MKCOMPOSEFS COMPOSEFS_INFO
set -uo pipefail
mk=$1
info=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
bad() { echo "FAIL - $1"; fail=$((fail + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

printf '/ 4096 40755 2 0 0 0 0.0 - - -\n/a 0 100644 1 0 0 0 0.0 - - -\n' > "$work/good.dump"
printf '/ 4096 40755 2 0 0 0 0.0 - - -\n/wo 0 20644 1 0 0 0 0.0 - - -\n' > "$work/whiteout.dump"

# run EXPECTED_RC ARGS...: runs mkcomposefs, keeps stdout/stderr in $work/out, $work/err
run() { local want=$1; shift; "$mk" "$@" > "$work/out" 2> "$work/err"; local rc=$?; [ "$rc" -eq "$want" ]; }
one_line_err() { [ "$(wc -l < "$work/err")" -ge 1 ] && head -1 "$work/err" | grep -q '^mkcomposefs: '; }
version_of() { od -An -tu4 -j12 -N4 "$1" | tr -d ' '; }

check "--help exits 0 and prints usage" run 0 --help
check "--help text names --from-file" grep -q -- '--from-file' "$work/out"
check "unknown option exits 1" run 1 --frobnicate --from-file "$work/good.dump" "$work/x.cfs"
check "unknown option message + usage" grep -q "unknown option '--frobnicate'" "$work/err"
check "usage line printed on option error" grep -q '^Usage: mkcomposefs' "$work/err"
check "no arguments exits 1" run 1
check "missing IMAGE exits 1" run 1 --from-file "$work/good.dump"
check "too many arguments exits 1" run 1 --from-file "$work/good.dump" a b
check "--min-version=2 exits 1" run 1 --min-version=2 --from-file "$work/good.dump" "$work/x.cfs"
check "--max-version=x exits 1" run 1 --max-version=x --from-file "$work/good.dump" "$work/x.cfs"
check "--max-version without value exits 1" run 1 --from-file "$work/good.dump" "$work/x.cfs" --max-version
check "--print-digest-only refuses an IMAGE" run 1 --print-digest-only --from-file "$work/good.dump" "$work/x.cfs"
check "no image left after option errors" test ! -e "$work/x.cfs"

check "default build of a whiteout uses version 1" run 0 --from-file "$work/whiteout.dump" "$work/v.cfs"
check "  header says version 1" test "$(version_of "$work/v.cfs")" = 1
check "--max-version=0 keeps version 0" run 0 --max-version=0 --from-file "$work/whiteout.dump" "$work/v0.cfs"
check "  header says version 0" test "$(version_of "$work/v0.cfs")" = 0
check "--min-version=1 alone gives version 1" run 0 --min-version=1 --from-file "$work/good.dump" "$work/v1.cfs"
check "  header says version 1" test "$(version_of "$work/v1.cfs")" = 1
check "--version=1 is --min-version=1" run 0 --version=1 --from-file "$work/good.dump" "$work/vv.cfs"
check "  same bytes as --min-version=1" cmp -s "$work/v1.cfs" "$work/vv.cfs"
check "--version VALUE (separate argument) works" run 0 --version 1 --from-file "$work/good.dump" "$work/vs.cfs"
check "  same bytes" cmp -s "$work/v1.cfs" "$work/vs.cfs"

check "--print-digest prints 64 hex digits" run 0 --print-digest --from-file "$work/good.dump" "$work/d.cfs"
check "  output format" grep -qxE '[0-9a-f]{64}' "$work/out"
cp "$work/out" "$work/digest1"
check "--print-digest-only prints the same digest" run 0 --print-digest-only --from-file "$work/good.dump"
check "  same digest" cmp -s "$work/out" "$work/digest1"
check "stdin source and stdout image" bash -c "'$mk' --from-file - - < '$work/good.dump' > '$work/s.cfs'"
check "  same bytes as a file" cmp -s "$work/s.cfs" "$work/d.cfs"
gzip -c "$work/good.dump" > "$work/good.dump.gz"
check "gzip input is detected" run 0 --from-file "$work/good.dump.gz" "$work/g.cfs"
check "  same bytes" cmp -s "$work/g.cfs" "$work/d.cfs"
check "gzip input on stdin" bash -c "'$mk' --from-file - '$work/g2.cfs' < '$work/good.dump.gz'"
check "  same bytes" cmp -s "$work/g2.cfs" "$work/d.cfs"

printf '/ 4096 40755 2 0 0 0 0.0 - - -\n/a 0 100644 1 0 0 0 0.0 - - - user.x=1 user.x=2\n' > "$work/dup.dump"
echo "precious" > "$work/keep.cfs"
check "failing build exits 1" run 1 --from-file "$work/dup.dump" "$work/keep.cfs"
check "  one message naming the line" grep -qx 'mkcomposefs: line 2: xattr user.x given twice' "$work/err"
check "  existing IMAGE untouched" grep -qx precious "$work/keep.cfs"
check "  no temporary file left" test -z "$(find "$work" -name '.keep.cfs.tmp-*')"
check "missing source file exits 1" run 1 --from-file "$work/nope.dump" "$work/n.cfs"
check "  message names the path" one_line_err
check "unwritable IMAGE directory exits 1" run 1 --from-file "$work/good.dump" "$work/no/such/dir/x.cfs"
check "  message" one_line_err
mkdir -p "$work/tree/sub" && echo hello > "$work/tree/sub/f"
check "a directory source builds an image" run 0 "$work/tree" "$work/dir.cfs"
check "a dump file given without --from-file is refused" run 1 "$work/good.dump" "$work/notdir.cfs"
check "  message says it is not a directory" grep -qi 'not a directory' "$work/err"
check "--skip-xattrs and --user-xattrs conflict" run 1 --skip-xattrs --user-xattrs "$work/tree" "$work/c.cfs"
check "--threads=0 is refused" run 1 --threads=0 "$work/tree" "$work/c.cfs"

# --hardlinks (beyond C): one inode with the real link count; off by default.
mkdir -p "$work/hl" && head -c 1000 /dev/zero > "$work/hl/a" && ln "$work/hl/a" "$work/hl/b"
check "--hardlinks builds" run 0 --hardlinks "$work/hl" "$work/hl.cfs"
"$info" dump "$work/hl.cfs" > "$work/hl.dump"
check "  b is a hardlink line to /a" grep -q '^/b 1000 @100644 2 ' "$work/hl.dump"
check "  a keeps nlink 2" grep -q '^/a 1000 100644 2 ' "$work/hl.dump"
check "without --hardlinks: two inodes with nlink 1" run 0 "$work/hl" "$work/nohl.cfs"
"$info" dump "$work/nohl.cfs" > "$work/nohl.dump"
check "  no hardlink line" test "$(grep -c '^/[ab] 1000 100644 1 ' "$work/nohl.dump")" = 2

# --hardlinks: the inode sits at its first name in the image's order (breadth first,
# names sorted), not at the first name readdir returns (which differs between
# filesystems): the image equals that of a dump whose first name, /l0, holds it
# (/l0x, an inode between the names, makes the choice show in the bytes).
mkdir -p "$work/hl3" && chmod 755 "$work/hl3" && head -c 1000 /dev/zero > "$work/hl3/l0" && chmod 644 "$work/hl3/l0"
echo x > "$work/hl3/l0x" && chmod 644 "$work/hl3/l0x"
for i in 1 2 3 4 5 6 7 8 9; do ln "$work/hl3/l0" "$work/hl3/l$i"; done
digest=$("$info" measure-file "$work/hl3/l0")
{
  echo "/ 4096 40755 2 $(id -u) $(id -g) 0 0.0 - - -"
  echo "/l0 1000 100644 10 $(id -u) $(id -g) 0 0.0 ${digest:0:2}/${digest:2} - $digest"
  echo "/l0x 2 100644 1 $(id -u) $(id -g) 0 0.0 - x\\n -"
  for i in 1 2 3 4 5 6 7 8 9; do echo "/l$i 1000 @100644 10 0 0 0 0.0 /l0 - -"; done
} > "$work/hl3.dump"
check "--hardlinks --use-epoch on ten names of one file" run 0 --hardlinks --use-epoch --skip-xattrs "$work/hl3" "$work/hl3.cfs"
check "  equals the dump with the inode at /l0" run 0 --from-file "$work/hl3.dump" "$work/hl3-dump.cfs"
check "  (bytes)" cmp -s "$work/hl3.cfs" "$work/hl3-dump.cfs"

# An empty file's xattrs are read once (they were stored twice, unlike C's images).
if mkdir -p "$work/ex" && chmod 755 "$work/ex" && : > "$work/ex/empty" && chmod 644 "$work/ex/empty" &&
  setfattr -n user.a -v 1 "$work/ex/empty" 2> /dev/null; then
  check "empty file with an xattr builds" run 0 --use-epoch --user-xattrs "$work/ex" "$work/ex.cfs"
  check "  its xattr is there once" test "$("$info" dump "$work/ex.cfs" | grep -c 'user.a=1')" = 1
  printf '/ 4096 40755 2 %s %s 0 0.0 - - -\n/empty 0 100644 1 %s %s 0 0.0 - - - user.a=1\n' \
    "$(id -u)" "$(id -g)" "$(id -u)" "$(id -g)" > "$work/ex.dump"
  check "  image equals --from-file of the same tree" run 0 --from-file "$work/ex.dump" "$work/ex2.cfs"
  check "  (bytes)" cmp -s "$work/ex.cfs" "$work/ex2.cfs"
else
  echo "SKIP - empty file with an xattr: no user xattrs here (or no setfattr)"
fi

echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
