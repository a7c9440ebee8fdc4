# Sourced by check-bad-input.sh: kill -9 during a large mkcomposefs (row 5 of
# doc/bad-input.md). At several points of a run (fractions of a reference run's
# duration, so a slow sanitizer build is cut at the same stages) the destination
# must hold the old image or a complete new one, equal to a reference build; every
# object in the store must match its name; and a later run must succeed next to
# whatever temporary files the killed runs left (their names are random, so no
# later run can trip over them; they are counted and reported).

ms_now() { date +%s%3N; }
fractions="5 25 50 75 95"

# kill_at DELAY_MS CMD...: starts CMD, kills it with SIGKILL after DELAY_MS.
kill_at() {
  local delay=$1; shift
  "$@" > /dev/null 2>&1 &
  local pid=$!
  sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
  kill -9 "$pid" 2> /dev/null
  wait "$pid" 2> /dev/null
}

# old_or_new DEST OLD NEW: the destination is exactly one of the two images.
old_or_new() {
  cmp -s "$1" "$2" && { echo old; return 0; }
  cmp -s "$1" "$3" && { echo new; return 0; }
  echo mixed
  return 1
}

# --- A large dump (cs9 developer: 64k entries, a 10 MB image).
cs9=$golden/cs9-x86_64-developer.dump.gz
mkdir -p "$work/kill"
start=$(ms_now)
"$mk" --from-file "$cs9" "$work/cs9-ref.img"
duration=$(($(ms_now) - start))
"$mk" --from-file "$small_dump" "$work/kill-old.img"
outcomes=""
for pct in $fractions; do
  cp "$work/kill-old.img" "$work/kill/img"
  kill_at $((duration * pct / 100)) "$mk" --from-file "$cs9" "$work/kill/img"
  outcome=$(old_or_new "$work/kill/img" "$work/kill-old.img" "$work/cs9-ref.img")
  check "kill -9 at ${pct}% of a dump build: destination is the old or the new image ($outcome)" test "$outcome" != mixed
  outcomes+=" $outcome"
done
leftover=$(ls -A "$work/kill" | grep -vxc img)
check "kill -9 dump build: no temporary file left (O_TMPFILE)" test "$leftover" = 0
note "dump build killed at$(printf ' %s%%' $fractions) of ${duration} ms:$outcomes; $leftover temporary files left"
run_tool "$mk" --from-file "$cs9" "$work/kill/img"
check "kill -9 dump build: a later run succeeds next to the leftovers" test $rc = 0
check "kill -9 dump build:   and writes the reference image" cmp -s "$work/kill/img" "$work/cs9-ref.img"

# --- A directory with --digest-store: objects are copied, then published. The
# source is made here (17 MiB in 1300 files, split from one random blob) so the
# test takes the same time everywhere and a sanitizer build stays quick.
src=$work/kill-src
mkdir -p "$src/big" "$src/small"
head -c 16000000 /dev/urandom > "$work/blob"
(cd "$src/big" && split -a 3 -b 20000 "$work/blob" part-)
(cd "$src/small" && head -c 1500000 "$work/blob" | split -a 3 -b 3000 - part-)
rm -f "$work/blob"
start=$(ms_now)
"$mk" --digest-store="$work/ref-store" "$src" "$work/dir-ref.img" 2> "$work/err"
duration=$(($(ms_now) - start))
outcomes=""
for pct in $fractions; do
  cp "$work/kill-old.img" "$work/kill/dimg"
  kill_at $((duration * pct / 100)) "$mk" --digest-store="$work/kill-store" "$src" "$work/kill/dimg"
  outcome=$(old_or_new "$work/kill/dimg" "$work/kill-old.img" "$work/dir-ref.img")
  check "kill -9 at ${pct}% of a directory build: destination is the old or the new image ($outcome)" \
    test "$outcome" != mixed
  check "kill -9 at ${pct}% of a directory build: every object in the store matches its name" \
    store_objects_match "$work/kill-store"
  outcomes+=" $outcome"
done
leftover=$(find "$work/kill-store" -name '.*' 2> /dev/null | wc -l)
check "kill -9 directory build: no temporary copies left in the store (O_TMPFILE)" test "$leftover" = 0
note "directory build killed at$(printf ' %s%%' $fractions) of ${duration} ms:$outcomes; $leftover temporary files in the store"
run_tool "$mk" --digest-store="$work/kill-store" "$src" "$work/kill/dimg"
check "kill -9 directory build: a later run succeeds" test $rc = 0
check "kill -9 directory build:   and writes the reference image" cmp -s "$work/kill/dimg" "$work/dir-ref.img"
check "kill -9 directory build:   every object the image names is in the store, whole" \
  bash -c "'$info' fsck --basedir='$work/kill-store' '$work/kill/dimg' > /dev/null"
check "kill -9 directory build:   the store holds the reference store's objects" \
  bash -c "diff <(cd '$work/ref-store' && find . -type f ! -name '.*' | sort) \
                <(cd '$work/kill-store' && find . -type f ! -name '.*' | sort) > /dev/null"
