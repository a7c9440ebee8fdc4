# Helpers sourced by check-bad-input.sh and the scripts it sources: counters,
# process outcome checks and byte-level image mutation. Needs $work and $mk, $info,
# $cdump set by the caller.

pass=0 fail=0 skip=0 xfail=0
# A sanitizer report must show as a crash (a signal), not as exit 1, which is the
# tools' own "refused" status (ASan exits 1 by default); meson test sets the same.
# Leak checking at exit is off here: it doubles the cost of each of the ~700 tool
# runs in a sanitizer build, and leaks are the unit tests' and valgrind's business.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}abort_on_error=1:halt_on_error=1:detect_leaks=0
export UBSAN_OPTIONS=${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}abort_on_error=1:halt_on_error=1:print_stacktrace=1
ok() { echo "ok - $1"; pass=$((pass + 1)); }
bad() { echo "FAIL - $1"; fail=$((fail + 1)); }
skipped() { echo "SKIP - $1"; skip=$((skip + 1)); }
note() { echo "# $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
# A known bug reported to the lead: a failure is expected and does not fail the
# suite. Once fixed, the row passes; turn it into a plain `check` then.
check_xfail() {
  local what=$1 why=$2; shift 2
  if "$@"; then ok "$what"; else echo "XFAIL - $what (known bug: $why)"; xfail=$((xfail + 1)); fi
}

# run_tool CMD...: runs with a time limit (a hang is a failure too), keeps stdout and
# stderr in $work/out and $work/err, and sets $rc (124 for a hang, 128+N for signal N).
run_tool() {
  timeout -s KILL 30 "$@" > "$work/out" 2> "$work/err" < /dev/null
  rc=$?
  [ $rc -eq 137 ] && rc=124  # killed by timeout's SIGKILL: report as a hang
}

# What every tool must answer to bad input: exit 0, or exit 1 with a message on
# stderr; never a signal, a hang or another status.
answered() {
  case $rc in
    0) return 0 ;;
    1) [ -s "$work/err" ] && return 0
       # composefs-info fsck reports its findings on stdout, one line each.
       [ "${answer_on_stdout:-0}" = 1 ] && [ -s "$work/out" ] && return 0
       note "exit 1 without a message"; return 1 ;;
    124) note "hang (killed after 30 s)"; return 1 ;;
    *) if [ $rc -gt 128 ]; then note "killed by signal $((rc - 128))"; else note "exit status $rc"; fi
       head -3 "$work/err" | sed 's/^/#   /'; return 1 ;;
  esac
}

# refused: exit 1 with a message.
refused() {
  [ $rc -eq 1 ] && [ -s "$work/err" ] && return 0
  note "exit $rc, stderr: $(head -c 200 "$work/err")"
  return 1
}

# Only the named entries in DIR (no temporary file left behind). Bash globbing,
# not ls: this runs hundreds of times.
dir_holds_only() {
  local dir=$1 have=() e; shift
  local -a want=("$@")
  shopt -s dotglob nullglob
  for e in "$dir"/*; do have+=("${e##*/}"); done
  shopt -u dotglob nullglob
  [ "${have[*]}" = "${want[*]}" ] && return 0
  note "$dir holds: ${have[*]} (expected: ${want[*]})"
  return 1
}

# poke FILE OFFSET HEXBYTES: overwrite bytes in place ("ffffffff").
poke() {
  printf "$(printf '%s' "$3" | sed 's/../\\x&/g')" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# flip FILE OFFSET BIT
flip() {
  local b
  b=$(od -An -tu1 -j"$2" -N1 "$1" | tr -d ' ')
  poke "$1" "$2" "$(printf '%02x' $((b ^ (1 << $3))))"
}

# u16 / u32 FILE OFFSET: little-endian reads.
u16() { od -An -tu2 -j"$2" -N2 "$1" | tr -d ' '; }
u32() { od -An -tu4 -j"$2" -N4 "$1" | tr -d ' '; }

# Every object in a store is named for its fs-verity digest (xx/62 hex digits);
# one measure-file call for all of them.
store_objects_match() {
  local store=$1 list names digests
  [ -d "$store" ] || return 0
  list=$(cd "$store" && find . -mindepth 2 -maxdepth 2 -type f ! -name '.*' | sort)
  [ -z "$list" ] && return 0
  names=$(printf '%s\n' "$list" | sed 's|^\./||; s|/||')
  digests=$(cd "$store" && printf '%s\n' "$list" | xargs "$info" measure-file 2> "$work/measure.err") || {
    note "measure-file failed: $(head -c 300 "$work/measure.err")"
    return 1
  }
  [ "$names" = "$digests" ] && return 0
  diff <(printf '%s\n' "$names") <(printf '%s\n' "$digests") | head -4 | sed 's/^/#   /'
  return 1
}
