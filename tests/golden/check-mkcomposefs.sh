#!/usr/bin/env bash
# Golden tests for `mkcomposefs --from-file`: the images must be byte-for-byte those of
# composefs-c 1.0.8 (see README.md in this folder for where the corpus comes from).
#
# usage: check-mkcomposefs.sh MKCOMPOSEFS GOLDEN_DIR
#
# Prints one line per check (`ok - ...` / `FAIL - ...`, details of a failure on
# `#` lines below it), then `golden: N passed, M failed`; exits 1 if any check failed,
# 2 on bad usage or a missing required tool.
set -euo pipefail
shopt -s nullglob lastpipe  # lastpipe: `xz -dc ... | mk ...` sets RC here

if [ $# -ne 2 ]; then
  echo "usage: $0 MKCOMPOSEFS GOLDEN_DIR" >&2
  exit 2
fi

abspath() {
  local p=$1
  if [[ $p != */* ]]; then
    command -v -- "$p" || echo "$p"
  else
    echo "$(cd -- "$(dirname -- "$p")" && pwd)/$(basename -- "$p")"
  fi
}
MK=$(abspath "$1")
GOLDEN=$(cd -- "$2" && pwd)
UP=$GOLDEN/upstream
RND=$GOLDEN/random
TOOL=mkcomposefs  # error messages must start with "mkcomposefs: "

if [ ! -x "$MK" ]; then
  echo "$0: $1 is not an executable" >&2
  exit 2
fi
for t in sha256sum gzip xz cmp find; do
  if ! command -v "$t" >/dev/null; then
    echo "$0: required tool '$t' is not installed" >&2
    exit 2
  fi
done

unset CFS_PARSE_STRICT
export LC_ALL=C

T=$(mktemp -d "${TMPDIR:-/tmp}/golden-mkcomposefs.XXXXXX")
T=$(cd -- "$T" && pwd)
trap 'rm -rf -- "$T"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir -p "$T/in" "$T/o"
# The tool under test only ever sees copies, so a buggy one cannot damage the corpus.
cp -R -- "$UP" "$T/up"
chmod -R u+w "$T/up"
UP=$T/up

npass=0
nfail=0
ok() { echo "ok - $*"; npass=$((npass + 1)); }
notok() { echo "FAIL - $*"; nfail=$((nfail + 1)); }
# note TEXT...: a detail line for the previous FAIL
note() { printf '#   %s\n' "$@"; }
# note_file FILE: the first lines of FILE as detail lines
note_file() { head -n 10 -- "$1" | cut -c1-300 | sed 's/^/#   | /'; }

# Forks are slow on some machines, so the helpers below avoid them where they can.
# sha_of FILE: sets SHA
sha_of() { SHA=$(sha256sum <"$1"); SHA=${SHA%% *}; }
# read_word FILE: sets WORD to the first line of FILE without blanks
read_word() { WORD=; read -r WORD <"$1" || true; WORD=${WORD//[[:space:]]/}; }

# is_strict ASSET: sets STRICT; the C test suite parses its assets strictly, except three.
is_strict() {
  case $1 in
    no-newline.dump | longlink.dump | honggfuzz-longlink-unterminated.dump) STRICT=0 ;;
    *) STRICT=1 ;;
  esac
}

# mk STRICT ARGS...: runs MKCOMPOSEFS ARGS (stdin as the caller gives it), stdout to
# $T/stdout, stderr to $T/stderr, exit status in RC. Always returns 0.
mk() {
  local strict=$1
  shift
  RC=0
  if [ "$strict" = 1 ]; then
    CFS_PARSE_STRICT=1 "$MK" "$@" >"$T/stdout" 2>"$T/stderr" || RC=$?
  else
    "$MK" "$@" >"$T/stdout" 2>"$T/stderr" || RC=$?
  fi
}

if command -v fsck.erofs >/dev/null; then
  HAVE_FSCK=1
else
  HAVE_FSCK=0
  echo "SKIP - fsck.erofs is not installed (erofs-utils): images are not checked with it"
fi
if command -v fsverity >/dev/null; then
  HAVE_FSVERITY=1
else
  HAVE_FSVERITY=0
  echo "SKIP - fsverity is not installed (fsverity): printed digests are checked against each other and known constants only"
fi

# fsck_image IMAGE DESC
fsck_image() {
  [ "$HAVE_FSCK" = 1 ] || return 0
  if fsck.erofs "$1" </dev/null >"$T/fsck.log" 2>&1; then
    ok "$2: fsck.erofs"
  else
    notok "$2: fsck.erofs"
    note_file "$T/fsck.log"
  fi
}

# only_entry DIR NAME DESC: DIR must hold nothing but NAME (no temporary files left)
only_entry() {
  local e extra=()
  for e in "$1"/* "$1"/.[!.]* "$1"/..?*; do
    e=${e##*/}
    [ "$e" = "$2" ] || extra+=("$e")
  done
  if [ ${#extra[@]} -eq 0 ]; then
    ok "$3: no stray files in the output directory"
  else
    notok "$3: no stray files in the output directory"
    note "found: ${extra[*]:0:5}"
  fi
}

# check_made DESC EXPECTED_SHA IMAGE: after a run with mk that should have made IMAGE
check_made() {
  local desc=$1 expected=$2 img=$3 got
  if [ "$RC" -ne 0 ]; then
    notok "$desc: image sha256"
    note "exit status $RC, expected 0"
    note_file "$T/stderr"
    return 0
  fi
  if [ ! -f "$img" ]; then
    notok "$desc: image sha256"
    note "exit status 0 but no image was written"
    return 0
  fi
  sha_of "$img"
  got=$SHA
  if [ "$got" = "$expected" ]; then
    ok "$desc: image sha256"
  else
    notok "$desc: image sha256"
    note "got      $got ($(stat -c %s "$img") bytes)" "expected $expected"
    note_file "$T/stderr"
  fi
  only_entry "${img%/*}" "${img##*/}" "$desc"
  fsck_image "$img" "$desc"
}

# check_failed DESC EXPECTED_RC: after a run with mk that must fail with one message
check_failed() {
  local desc=$1 lines=()
  if [ "$RC" -eq "$2" ]; then
    ok "$desc: exit status $2"
  else
    notok "$desc: exit status $2"
    note "got exit status $RC"
  fi
  mapfile lines <"$T/stderr"  # keeps the newlines
  if [ ${#lines[@]} -eq 1 ] && [[ ${lines[0]} == "$TOOL: "?*$'\n' ]]; then
    ok "$desc: one error line starting with '$TOOL: '"
  else
    notok "$desc: one error line starting with '$TOOL: '"
    note "stderr has $(stat -c %s "$T/stderr") bytes:"
    note_file "$T/stderr"
  fi
}

# input_for ASSET: sets INPUT to the path of the uncompressed dump of an upstream asset
input_for() {
  if [[ $1 == *.gz ]]; then
    INPUT=$T/in/${1%.gz}
    [ -f "$INPUT" ] || gzip -dc "$UP/$1" >"$INPUT"
  else
    INPUT=$UP/$1
  fi
}

# version_args ASSET: sets VARGS from ASSET.version
version_args() {
  VARGS=()
  if [ -f "$UP/$1.version" ]; then
    read_word "$UP/$1.version"
    VARGS=("--min-version=$WORD" "--max-version=$WORD")
  fi
}

n=0
newdir() {  # newdir: a fresh empty directory in $T/o, path in DIR
  n=$((n + 1))
  DIR=$T/o/$n
  mkdir "$DIR"
}

# ---------------------------------------------------------------------------------
# 1. Upstream assets: every NAME.sha256, from a file and from stdin.
# ---------------------------------------------------------------------------------
assets=()
for f in "$UP"/*.sha256; do
  f=${f##*/}
  assets+=("${f%.sha256}")
done
if [ ${#assets[@]} -eq 0 ]; then
  notok "upstream assets found in $UP"
fi

for asset in "${assets[@]}"; do
  read_word "$UP/$asset.sha256"
  expected=$WORD
  is_strict "$asset"
  strict=$STRICT
  version_args "$asset"
  input_for "$asset"
  input=$INPUT
  tag="$asset${VARGS[*]:+ ${VARGS[*]}}"
  [ "$strict" = 1 ] || tag+=" (non-strict)"

  newdir
  mk "$strict" "${VARGS[@]}" --from-file "$input" "$DIR/image.cfs"
  check_made "$tag" "$expected" "$DIR/image.cfs"

  newdir
  mk "$strict" "${VARGS[@]}" --from-file - "$DIR/image.cfs" <"$input"
  check_made "$tag, from stdin" "$expected" "$DIR/image.cfs"

  if [[ $asset == *.gz ]]; then
    # The tool must recognise gzip input by itself.
    newdir
    mk "$strict" "${VARGS[@]}" --from-file "$UP/$asset" "$DIR/image.cfs"
    check_made "$tag, gzip file given directly" "$expected" "$DIR/image.cfs"
  fi
done

# gzip-compressed dump on stdin
asset=config.dump.gz
if [ -f "$UP/$asset.sha256" ]; then
  newdir
  mk 1 --from-file - "$DIR/image.cfs" <"$UP/$asset"
  read_word "$UP/$asset.sha256"
  check_made "$asset, gzip on stdin" "$WORD" "$DIR/image.cfs"
fi

# Image on stdout, through a pipe (not seekable): `--from-file - -`, and a file to `-`.
for asset in cs9-x86_64-minimal.dump.gz special.dump; do
  [ -f "$UP/$asset.sha256" ] || continue
  read_word "$UP/$asset.sha256"
  expected=$WORD
  version_args "$asset"
  input_for "$asset"
  input=$INPUT
  for src in - "$input"; do
    if [ "$src" = - ]; then desc="$asset, --from-file - - | sha256sum"; else desc="$asset, --from-file FILE - | sha256sum"; fi
    set +e
    CFS_PARSE_STRICT=1 "$MK" "${VARGS[@]}" --from-file "$src" - <"$input" 2>"$T/stderr" |
      sha256sum >"$T/sha"
    st=("${PIPESTATUS[@]}")
    set -e
    read -r got _ <"$T/sha" || true
    if [ "${st[0]}" -eq 0 ] && [ "$got" = "$expected" ]; then
      ok "$desc"
    else
      notok "$desc"
      note "exit status ${st[0]}, sha256 of stdout $got, expected $expected"
      note_file "$T/stderr"
    fi
  done
done

# ---------------------------------------------------------------------------------
# 2. Inputs that must be rejected: exit status 1, one error line, no image, and an
#    existing IMAGE is left alone. The C suite runs these non-strict; we run them
#    both ways.
# ---------------------------------------------------------------------------------
printf '' >"$T/in/empty.dump"
fail_inputs=("$UP"/should-fail-*.dump "$T/in/empty.dump" "$T/in/does-not-exist.dump")
if [ ${#fail_inputs[@]} -le 2 ]; then
  notok "should-fail assets found in $UP"
fi
printf 'an image that a failed run must not touch\n' >"$T/precious"
for src in "${fail_inputs[@]}"; do
  name=${src##*/}

  newdir
  mk 0 --from-file "$src" "$DIR/image.cfs"
  check_failed "$name" 1
  if [ ! -e "$DIR/image.cfs" ] && [ ! -L "$DIR/image.cfs" ]; then
    ok "$name: no IMAGE written"
  else
    notok "$name: no IMAGE written"
    note "found an IMAGE of $(stat -c %s "$DIR/image.cfs") bytes"
  fi
  only_entry "$DIR" image.cfs "$name"

  newdir
  cp "$T/precious" "$DIR/image.cfs"
  mk 1 --from-file "$src" "$DIR/image.cfs"
  check_failed "$name (strict, IMAGE exists)" 1
  if cmp -s "$T/precious" "$DIR/image.cfs"; then
    ok "$name (strict, IMAGE exists): existing IMAGE unchanged"
  else
    notok "$name (strict, IMAGE exists): existing IMAGE unchanged"
    if [ -e "$DIR/image.cfs" ]; then
      note "IMAGE is now $(stat -c %s "$DIR/image.cfs") bytes"
    else
      note "IMAGE was removed"
    fi
  fi
  only_entry "$DIR" image.cfs "$name (strict, IMAGE exists)"
done

# ---------------------------------------------------------------------------------
# 3. Generated dumps: random/expected.tsv (case, version_args, rc, image_sha256, ...)
# ---------------------------------------------------------------------------------
rows=0
while IFS=$'\t' read -r case vargs_s rc_exp img_sha _rest <&3; do
  [ "$case" = case ] && continue
  [ -n "$case" ] || continue
  rows=$((rows + 1))
  VARGS=()
  if [ "$vargs_s" != - ]; then read -r -a VARGS <<<"$vargs_s"; fi
  desc="random/$case${VARGS[*]:+ ${VARGS[*]}}"
  newdir
  xzrc=0
  xz -dc "$RND/$case.dump.xz" | mk 1 "${VARGS[@]}" --from-file - "$DIR/image.cfs" || xzrc=$?
  if [ "$xzrc" -ne 0 ] && [ "$RC" -eq 0 ]; then
    notok "$desc: xz -dc $case.dump.xz"
    note "xz failed (status $xzrc): corpus damaged?"
    continue
  fi
  if [ "$rc_exp" = 0 ]; then
    check_made "$desc" "$img_sha" "$DIR/image.cfs"
  elif [ "$RC" -eq "$rc_exp" ]; then
    ok "$desc: exit status $rc_exp"
  else
    notok "$desc: exit status $rc_exp"
    note "got exit status $RC"
    note_file "$T/stderr"
  fi
done 3<"$RND/expected.tsv"
if [ "$rows" -eq 0 ]; then
  notok "rows found in $RND/expected.tsv"
fi

# ---------------------------------------------------------------------------------
# 4. --print-digest / --print-digest-only: the fs-verity digest of the image.
#    Known values, from composefs-c 1.0.8 (`composefs-info measure-file IMAGE`).
# ---------------------------------------------------------------------------------
declare -A KNOWN_DIGEST=(
  [special.dump]=6fae72a66167ef8d5830fa15647263ef1b535681aa91fdf195fa3d6f5e3ae15e
  [special_v1.dump]=1d268f8bc7609b4f8f8467e98565f45300f9e192c0e6ef2d05820d3ea41d4515
  [config.dump.gz]=26cbaf47c39d0b5ed47bd959595e4d84f01c8eb8196d861d9f00bf527c244ad2
)
# read_digest FILE: sets DIGEST to the content of FILE without its final newline; returns
# 0 if FILE holds exactly 64 lowercase hex digits and a newline
read_digest() {
  local all
  all=
  IFS= read -r -d '' all <"$1" || true
  DIGEST=${all%$'\n'}
  [[ $all =~ ^[0-9a-f]{64}$'\n'$ ]]
}
for asset in special.dump special_v1.dump config.dump.gz; do
  [ -f "$UP/$asset.sha256" ] || continue
  read_word "$UP/$asset.sha256"
  expected=$WORD
  version_args "$asset"
  input_for "$asset"
  input=$INPUT

  newdir
  mk 1 --print-digest "${VARGS[@]}" --from-file "$input" "$DIR/image.cfs"
  fmt=0
  read_digest "$T/stdout" || fmt=$?
  d1=$DIGEST
  if [ "$RC" -eq 0 ] && [ "$fmt" -eq 0 ]; then
    ok "$asset --print-digest: prints 64 hex digits and a newline"
  else
    notok "$asset --print-digest: prints 64 hex digits and a newline"
    note "exit status $RC; stdout:"
    note_file "$T/stdout"
    note_file "$T/stderr"
  fi
  check_made "$asset --print-digest" "$expected" "$DIR/image.cfs"
  if [ "$d1" = "${KNOWN_DIGEST[$asset]}" ]; then
    ok "$asset --print-digest: the digest composefs-c prints"
  else
    notok "$asset --print-digest: the digest composefs-c prints"
    note "got      $d1" "expected ${KNOWN_DIGEST[$asset]}"
  fi
  if [ "$HAVE_FSVERITY" = 1 ] && [ -f "$DIR/image.cfs" ]; then
    fv=$(fsverity digest --hash-alg=sha256 --block-size=4096 "$DIR/image.cfs" 2>&1 | cut -d' ' -f1) || true
    if [ "$fv" = "sha256:$d1" ]; then
      ok "$asset --print-digest: equals 'fsverity digest IMAGE'"
    else
      notok "$asset --print-digest: equals 'fsverity digest IMAGE'"
      note "printed $d1, fsverity says $fv"
    fi
  fi

  # --print-digest-only, run in an empty directory: same digest, nothing written there
  # nor next to the input.
  newdir
  before=("${input%/*}"/* "${input%/*}"/.[!.]* "${input%/*}"/..?*)
  pushd "$DIR" >/dev/null
  mk 1 --print-digest-only "${VARGS[@]}" --from-file "$input"
  popd >/dev/null
  after=("${input%/*}"/* "${input%/*}"/.[!.]* "${input%/*}"/..?*)
  fmt=0
  read_digest "$T/stdout" || fmt=$?
  d2=$DIGEST
  if [ "$RC" -eq 0 ] && [ "$fmt" -eq 0 ] && [ "$d2" = "$d1" ]; then
    ok "$asset --print-digest-only: prints the same digest as --print-digest"
  else
    notok "$asset --print-digest-only: prints the same digest as --print-digest"
    note "exit status $RC; printed '$d2', --print-digest printed '$d1'"
    note_file "$T/stderr"
  fi
  extra=("$DIR"/* "$DIR"/.[!.]* "$DIR"/..?*)
  if [ ${#extra[@]} -eq 0 ] && [ "${before[*]}" = "${after[*]}" ]; then
    ok "$asset --print-digest-only: writes no file"
  else
    notok "$asset --print-digest-only: writes no file"
    [ ${#extra[@]} -eq 0 ] || note "in the working directory: ${extra[*]##*/}"
    declare -A had=()
    for e in "${before[@]}"; do had[$e]=1; done
    for e in "${after[@]}"; do [ -n "${had[$e]:-}" ] || note "new next to the input: ${e##*/}"; done
    unset had
  fi

  # --print-digest-only from stdin
  mk 1 --print-digest-only "${VARGS[@]}" --from-file - <"$input"
  fmt=0
  read_digest "$T/stdout" || fmt=$?
  d3=$DIGEST
  if [ "$RC" -eq 0 ] && [ "$fmt" -eq 0 ] && [ "$d3" = "$d1" ]; then
    ok "$asset --print-digest-only --from-file -: same digest"
  else
    notok "$asset --print-digest-only --from-file -: same digest"
    note "exit status $RC; printed '$d3', expected '$d1'"
    note_file "$T/stderr"
  fi
done

echo "golden: $npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
