# Helpers sourced by the composefs-store tests. Needs $work set by the caller.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}abort_on_error=1:halt_on_error=1:detect_leaks=0
export UBSAN_OPTIONS=${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}abort_on_error=1:halt_on_error=1:print_stacktrace=1
pass=0 fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
bad() { echo "FAIL - $1"; fail=$((fail + 1)); }
note() { echo "# $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
finish() {
  echo "# $pass passed, $fail failed"
  [ $fail -eq 0 ]
}

# run CMD...: stdout in $work/out, stderr in $work/err, status in $rc (never hangs).
run() {
  timeout -s KILL 120 "$@" > "$work/out" 2> "$work/err" < /dev/null
  rc=$?
}
# refused: exit 1 with one message on stderr (usage errors add a "Try --help" line).
refused() {
  [ $rc -eq 1 ] && grep -q '^composefs-store: ' <(head -1 "$work/err") &&
    [ "$(grep -vc '^Try ' "$work/err")" = 1 ] && return 0
  note "exit $rc, stderr: $(head -c 300 "$work/err")"
  return 1
}

# Every object of a store, "xx/rest", sorted.
store_objects() { (cd "$1" && find . -mindepth 2 -maxdepth 2 -path './[0-9a-f][0-9a-f]/*' | cut -c3- | LC_ALL=C sort); }
# Every file and directory below a store with size and mtime: "unchanged" means this is equal.
store_state() { (cd "$1" && find . -printf '%p %y %s %T@\n' | LC_ALL=C sort); }
# What composefs-info says the images need, sorted the same way.
image_objects() { "$info" objects "$@" | sed 's|^/*||' | LC_ALL=C sort -u; }
same() { [ "$1" = "$2" ] && return 0; note "differ: $(diff <(echo "$1") <(echo "$2") | head -5 | tr '\n' ' ')"; return 1; }
json_ok() { python3 -c 'import json,sys; json.load(sys.stdin)' < "$1"; }

# A real tree: a copy of part of /usr/share/doc (changelogs, copyrights: small
# and large files, duplicates) plus a few files of our own.
make_tree() {
  local dest=$1 salt=$2
  mkdir -p "$dest"
  local n=0 d
  for d in /usr/share/doc/*/; do
    cp -r "$d" "$dest/" 2> /dev/null || true
    n=$((n + 1)); [ $n -ge 60 ] && break
  done
  head -c 100000 /dev/urandom > "$dest/random-$salt"
  printf 'unique content of tree %s, more than 64 bytes so that it is stored ...........\n' "$salt" > "$dest/unique-$salt"
}
