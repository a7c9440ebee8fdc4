#!/usr/bin/env bash
# Every class of bad input in doc/bad-input.md, through the tools: each row of the
# table is one or more checks here (named after the row).
#   check-bad-input.sh MKCOMPOSEFS COMPOSEFS_INFO COMPOSEFS_DUMP
# Prints ok/FAIL/SKIP/XFAIL lines and a summary; exits 1 if anything failed.
# Rows that need root (tmpfs mounts, dropping privileges) are skipped otherwise.
set -uo pipefail
# Absolute paths: some checks run the tools from another directory.
mk=$(readlink -f "$1") info=$(readlink -f "$2") cdump=$(readlink -f "$3")
here=$(cd "$(dirname "$0")" && pwd)
golden=$here/../golden/upstream
work=$(mktemp -d)
mounts=()
cleanup() {
  local m
  for m in "${mounts[@]}"; do umount "$m" 2> /dev/null; done
  chmod -R u+rwX "$work" 2> /dev/null
  rm -rf "$work"
}
trap cleanup EXIT
source "$here/common.sh"

root='/ 4096 40755 2 0 0 0 0.0 - - -\n'
file='0 100644 1 0 0 0 0.0 - - -'

# --- 1. dump syntax and 2. dump semantics -------------------------------------------
# NAME <tab> dump text (printf %b). Every one must be refused by mkcomposefs with
# exit 1 and a message, leaving nothing in the output directory.
syntax_rows="\
empty-line	${root}\n
missing-fields	/ 4096\n
size-not-a-number	${root}/a x1 100644 1 0 0 0 0.0 - - -\n
negative-uid	${root}/a 0 100644 1 -1 0 0 0.0 - - -\n
uid-over-32-bits	${root}/a 0 100644 1 4294967296 0 0 0.0 - - -\n
size-over-64-bits	${root}/a 18446744073709551616 100644 1 0 0 0 0.0 - - -\n
mode-not-octal	${root}/a 0 100648 1 0 0 0 0.0 - - -\n
mode-unknown-type	${root}/a 0 170644 1 0 0 0 0.0 - - -\n
mode-over-32-bits	${root}/a 0 1000000100644 1 0 0 0 0.0 - - -\n
mtime-without-dot	${root}/a 0 100644 1 0 0 0 12 - - -\n
mtime-nsec-1e9	${root}/a 0 100644 1 0 0 0 0.1000000000 - - -\n
escape-incomplete	${root}/a\\\\x4 ${file}\n
escape-unknown	${root}/a\\\\q ${file}\n
escape-trailing-backslash	${root}/a\\\\ ${file}\n
nul-escape-in-path	${root}/a\\\\x00b ${file}\n
nul-byte-in-line	${root}/a\x00b ${file}\n
digest-short	${root}/a 5000 100644 1 0 0 0 0.0 ab/cd - abcd\n
digest-not-hex	${root}/a 5000 100644 1 0 0 0 0.0 - - zz$(printf '%062d' 0)\n
crlf-line-endings	/ 4096 40755 2 0 0 0 0.0 - - -\r\n
xattr-without-equals	${root}/a ${file} user.x\n
binary-garbage	\x1f\x8b\x08\x00garbage\xff\xfe\n"

semantic_rows="\
no-entries	\n
root-not-first	/a ${file}\n${root}
root-not-a-directory	/ 0 100644 1 0 0 0 0.0 - - -\n
root-twice	${root}${root}
path-twice	${root}/a ${file}\n/a ${file}\n
parent-missing	${root}/a/b ${file}\n
parent-not-a-directory	${root}/a ${file}\n/a/b ${file}\n
name-dot	${root}/. ${file}\n
name-dotdot	${root}/a/.. ${file}\n
name-256-bytes	${root}/$(printf 'n%.0s' {1..256}) ${file}\n
hardlink-target-missing	${root}/l 0 @100644 0 0 0 0 0.0 /nowhere - -\n
hardlink-empty-target	${root}/l 0 @100644 0 0 0 0 0.0 - - -\n
hardlink-to-itself	${root}/l 0 @100644 0 0 0 0 0.0 /l - -\n
hardlink-cycle	${root}/a 0 @100644 0 0 0 0 0.0 /b - -\n/b 0 @100644 0 0 0 0 0.0 /a - -\n
hardlinked-directory	${root}/d 4096 @40755 2 0 0 0 0.0 / - -\n
symlink-empty-target	${root}/s 0 120777 1 0 0 0 0.0 - - -\n
symlink-target-4096	${root}/s 4096 120777 1 0 0 0 0.0 $(printf 'x%.0s' {1..4096}) - -\n
content-size-mismatch	${root}/a 3 100644 1 0 0 0 0.0 - ab -\n
inline-content-over-5000	${root}/a 5001 100644 1 0 0 0 0.0 - $(printf 'c%.0s' {1..5001}) -\n
xattr-twice	${root}/a ${file} user.x=1 user.x=2\n
xattr-name-empty	${root}/a ${file} =1\n
xattr-name-256	${root}/a ${file} user.$(printf 'k%.0s' {1..251})=1\n
xattrs-over-32k	${root}/a ${file} user.a=$(printf 'v%.0s' {1..20000}) user.b=$(printf 'v%.0s' {1..20000})\n
file-over-1024-chunks	${root}/a 9007199254740993 100644 1 0 0 0 0.0 ab/cd - -\n"

# dump_rows KIND ROWS: each row through mkcomposefs --from-file.
dump_rows() { local kind=$1 rows=$2 name text
  while IFS=$'\t' read -r name text; do
    [ -n "$name" ] || continue
    printf '%b' "$text" > "$work/$name.dump"
    rm -rf "$work/o" && mkdir "$work/o"
    run_tool "$mk" --from-file "$work/$name.dump" "$work/o/img"
    check "$kind: $name: refused with a message" refused
    check "$kind: $name: message says mkcomposefs:" test "$(head -c 13 "$work/err")" = "mkcomposefs: "
    check "$kind: $name: no image, no temporary file" dir_holds_only "$work/o"
  done <<< "$rows"
}
dump_rows "dump syntax" "$syntax_rows"
dump_rows "dump semantics" "$semantic_rows"

# Strict mode (CFS_PARSE_STRICT) refuses what lenient mode accepts.
printf '%b' "${root}/a ${file}" > "$work/no-newline.dump"
CFS_PARSE_STRICT=1 run_tool "$mk" --from-file "$work/no-newline.dump" "$work/strict.img"
check "dump syntax: strict: missing final newline refused" refused
printf '%b' "${root}/d 4096 40755 2 0 0 0 0.0 - - -\n/d/l 0 @100644 0 0 0 0 0.0 /d - -\n" > "$work/link-dir.dump"
# A hardlink line whose target is a directory: C writes it (a second dirent to the
# directory's inode) and so do we, for identical images; both readers load it back
# as a hardlink entry and print it with the directory's mode. See doc/bad-input.md.
run_tool "$mk" --from-file "$work/link-dir.dump" "$work/link-dir.img"
check "dump semantics: hardlink to a directory: mkcomposefs writes it, as C" test $rc = 0
run_tool "$info" dump "$work/link-dir.img"
check "dump semantics: hardlink to a directory: composefs-info dumps it, as C" \
  bash -c "[ $rc = 0 ] && grep -q '^/d/l [0-9]* @40755 ' '$work/out'"
gzip -c "$work/path-twice.dump" | head -c 20 > "$work/truncated.dump.gz"
run_tool "$mk" --from-file "$work/truncated.dump.gz" "$work/gz.img"
check "dump syntax: truncated gzip input refused" refused

# --- Mutated dumps: any edit of a valid dump is accepted or refused, nothing else.
base_dump=$here/../fuzz/corpus-dump/whiteouts.dump
size=$(stat -c %s "$base_dump")
bad_before=$fail
for ((off = 0; off < size; off += 37)); do
  head -c "$off" "$base_dump" > "$work/m.dump"                      # truncated
  run_tool "$mk" --from-file "$work/m.dump" "$work/m.img"; answered || bad "mutated dump: cut at $off"
  { head -c "$off" "$base_dump"; printf '\\'; tail -c +$((off + 2)) "$base_dump"; } > "$work/m.dump"  # byte -> '\'
  run_tool "$mk" --from-file "$work/m.dump" "$work/m.img"; answered || bad "mutated dump: backslash at $off"
  { head -c "$off" "$base_dump"; printf ' 9'; tail -c +$((off + 1)) "$base_dump"; } > "$work/m.dump"  # field inserted
  run_tool "$mk" --from-file "$work/m.dump" "$work/m.img"; answered || bad "mutated dump: field at $off"
done
[ $fail -eq "$bad_before" ] && ok "mutated dumps ($(((size + 36) / 37 * 3)) edits): exit 0 or 1 with a message"

# --- 3. image corruption ---------------------------------------------------------------
note "dump rows took ${SECONDS} s"; SECONDS=0
source "$here/image-corruption.sh"
note "image corruption took ${SECONDS} s"; SECONDS=0

# --- 4. filesystem errors and 5. interrupted runs --------------------------------------
source "$here/filesystem-errors.sh"
note "filesystem errors took ${SECONDS} s"; SECONDS=0
source "$here/kill-during-write.sh"
note "kill -9 runs took ${SECONDS} s"

echo "bad-input: $pass passed, $fail failed, $skip skipped, $xfail known bugs"
[ $fail -eq 0 ]
