#!/usr/bin/env bash
# check-man.sh MANDIR TOOL=EXE...
#
# 1. Every page MANDIR/*.[1-8] renders with `man --warnings=w -l` (all groff
#    warnings on) at several widths without a single warning.
# 2. For each TOOL=EXE (e.g. mkcomposefs=build/mkcomposefs/mkcomposefs), every long
#    option `EXE --help` prints (--name), every command listed under "Commands:",
#    and for mount.composefs every mount option, appears in the tool's page.
# Exits 77 (skipped) when man(1) is not installed. TAP-like output: ok/FAIL lines.
set -uo pipefail

if [ $# -lt 1 ]; then
  echo "usage: $0 MANDIR [TOOL=EXE]..." >&2
  exit 2
fi
mandir=$1; shift

if ! command -v man >/dev/null 2>&1; then
  echo "SKIP: man(1) is not installed (Debian: apt-get install man-db)"
  exit 77
fi

failures=0
ok() { echo "ok - $*"; }
fail() { echo "FAIL - $*"; failures=$((failures + 1)); }

# The page rendered as plain text on one long line per paragraph: no hyphenation,
# no justification, so options are never split across lines.
render() {
  LC_ALL=C.UTF-8 MANWIDTH=200 man --nh --nj -E ascii -l "$1" 2>/dev/null | col -bx
}

pages=("$mandir"/*.[1-8])
if [ ! -e "${pages[0]}" ]; then
  fail "no man pages in $mandir"
  exit 1
fi

for page in "${pages[@]}"; do
  name=$(basename "$page")
  bad=0
  for width in 80 66 120; do
    err=$(LC_ALL=C.UTF-8 MANWIDTH=$width man --warnings=w -E UTF-8 -l -Tutf8 -Z "$page" 2>&1 >/dev/null)
    rc=$?
    if [ $rc -ne 0 ] || [ -n "$err" ]; then
      fail "$name renders with warnings at width $width (rc $rc)"
      printf '%s\n' "$err" | sed 's/^/#   /'
      bad=1
      break
    fi
  done
  [ $bad -eq 0 ] && ok "$name renders without warnings"
  # The page's own header must name the page (section included).
  base=${name%.*}; section=${name##*.}
  if grep -qiE "^\.TH +\"?${base//./\\.}\"? +${section}( |$)" "$page"; then
    ok "$name: .TH names ${base}(${section})"
  else
    fail "$name: .TH does not name ${base}(${section})"
  fi
done

# has_word TEXT WORD: WORD appears in TEXT, not as part of a longer option name.
# A WORD ending in '=' (a mount option with a value) may be followed by anything.
has_word() {
  local re after='([^A-Za-z0-9_-]|$)'
  re=$(printf '%s' "$2" | sed 's/[.[\*^$]/\\&/g')
  [ "${2%=}" = "$2" ] || after=''
  grep -qE -- "(^|[^A-Za-z0-9_-])$re$after" <<<"$1"
}

for spec in "$@"; do
  tool=${spec%%=*}; exe=${spec#*=}
  case $tool in
    mount.composefs) page="$mandir/$tool.8" ;;
    *) page="$mandir/$tool.1" ;;
  esac
  if [ ! -f "$page" ]; then
    fail "$tool: no man page $page"
    continue
  fi
  if [ ! -x "$exe" ]; then
    fail "$tool: $exe is not an executable"
    continue
  fi
  text=$(render "$page")
  # Some tools print their usage on stderr and exit non-zero; take both streams.
  help=$("$exe" --help 2>&1 </dev/null)

  words=$(grep -oE -- '--[a-z][a-z0-9-]*' <<<"$help" | sort -u)
  # Commands: the first word of each indented line of a "Commands:" section.
  words+=$'\n'$(awk '/^[A-Za-z].*:$/ { in_cmds = ($0 ~ /^Commands:$/); next }
                     in_cmds && /^  +[a-z]/ { print $1 }' <<<"$help")
  if [ "$tool" = mount.composefs ]; then
    # Mount options are not long options; the set composefs 1.0.8 accepts.
    words+=$'\n'"basedir= digest= verity tryverity idmap= upperdir= workdir= ro rw"
    words+=$'\n'$(grep -oE -- '\b[a-z]+=' <<<"$help")
    # Short options in the usage line, e.g. "[-t type]".
    words+=$'\n'$(grep -oE -- '\[-[A-Za-z]' <<<"$help" | cut -c2-)
  fi
  words=$(tr ' ' '\n' <<<"$words" | awk 'NF && !seen[$0]++')

  checked=0
  for w in $words; do
    [ -n "$w" ] || continue
    checked=$((checked + 1))
    if has_word "$text" "$w"; then
      ok "$tool: '$w' is in $(basename "$page")"
    else
      fail "$tool: '$w' (from --help) is missing from $(basename "$page")"
    fi
  done
  [ $checked -gt 0 ] || ok "$tool: --help lists no options"
done

if [ $failures -gt 0 ]; then
  echo "# $failures failure(s)"
  exit 1
fi
echo "# all man page checks passed"
