# Sourced by check-store-gc.sh: gc racing a build into the same store, and kill -9
# during gc. Uses $mk $info $cs $mc $work and the helpers of common.sh.

# A tree big enough that its build takes a while: 3000 files of random data.
big=$work/big
mkdir -p "$big"
head -c 60000000 /dev/urandom | (cd "$big" && split -a 3 -b 20000 - part-)
race=$work/race-store
"$mk" --digest-store="$race" "$work/a" "$work/old.cfs"
"$mk" --digest-store="$race" "$big" "$work/new.cfs" 2> "$work/build-err" &
build=$!
# Wait until the build holds the store lock (shared), then start gc naming its
# image, which does not exist yet: gc must wait for the lock, then find it whole.
held=0
for _ in $(seq 1000); do
  if [ -d "$race" ] && ! flock -n -x "$race" true; then held=1; break; fi
  kill -0 $build 2> /dev/null || break
  sleep 0.01
done
run "$cs" gc --grace=0 "$race" "$work/new.cfs"
wait $build; build_rc=$?
if [ $held = 1 ]; then
  check "race: gc started while the build held the lock, and waited for it" grep -q 'waiting for the lock' "$work/err"
else
  note "the build finished before gc could start; the race was not exercised this time"
fi
check "race: the build succeeded" test $build_rc = 0
check "race: gc succeeded" test $rc = 0
check "race: composefs-info missing-objects of the new image is empty" \
  test -z "$("$info" --basedir="$race" missing-objects "$work/new.cfs")"
check "race: the store holds exactly the new image's objects" \
  same "$(store_objects "$race")" "$(image_objects "$work/new.cfs")"

# ---- kill -9 during gc ---------------------------------------------------------
mounts=1
if [ "$(id -u)" != 0 ]; then mounts=0; note "SKIP mount checks: not root"; fi
for fs in erofs overlay; do
  grep -qw "$fs" /proc/filesystems || modprobe "$fs" 2> /dev/null
  grep -qw "$fs" /proc/filesystems || { mounts=0; note "SKIP mount checks: kernel has no $fs"; }
done
ks=$work/kill-store
mkdir -p "$work/garbage"
head -c 1500000 /dev/urandom | (cd "$work/garbage" && split -a 4 -b 300 - g-)
"$mk" --digest-store="$ks" "$work/a" "$work/keep.cfs"
keep=$(image_objects "$work/keep.cfs")
fill() { "$mk" --digest-store="$ks" "$work/garbage" "$work/garbage.cfs"; }  # (re)fill with 5000 unused objects
# Kill at fractions of the time a whole gc takes here (not asserted: only to
# spread the kills over the run).
fill
t0=$(date +%s%N); "$cs" gc --grace=0 "$ks" "$work/keep.cfs" > /dev/null; t1=$(date +%s%N)
gc_ms=$(((t1 - t0) / 1000000))
note "a whole gc of 5000 unused objects took $gc_ms ms"
for pct in 10 35 60 85; do
  delay=$(awk -v ms="$gc_ms" -v pct="$pct" 'BEGIN { printf "%.3f", ms * pct / 100000 }')
  fill
  "$cs" gc --grace=0 "$ks" "$work/keep.cfs" > /dev/null 2>&1 &
  gc=$!
  sleep $delay
  kill -9 $gc 2> /dev/null; wait $gc 2> /dev/null
  left=$(($(store_objects "$ks" | wc -l) - $(echo "$keep" | wc -l)))
  check "kill -9 after ${delay}s of gc ($left unused objects left): the kept image's objects are all there" \
    test -z "$("$info" --basedir="$ks" missing-objects "$work/keep.cfs")"
  check "kill -9 after ${delay}s of gc: fsck of the store and the kept image is clean" \
    bash -c "'$cs' fsck '$ks' '$work/keep.cfs' > /dev/null"
  if [ $mounts = 1 ]; then
    mkdir -p "$work/mnt"
    if "$mc" -o basedir="$ks" "$work/keep.cfs" "$work/mnt"; then
      check "kill -9 after ${delay}s of gc: the kept image mounts and reads whole" diff -r --no-dereference "$work/a" "$work/mnt"
      umount "$work/mnt"
    else
      bad "kill -9 after ${delay}s of gc: the kept image does not mount"
    fi
  fi
done
run "$cs" gc --grace=0 "$ks" "$work/keep.cfs"
check "after the kills, a whole gc leaves exactly the kept image's objects" \
  bash -c "[ $rc = 0 ] && [ \"\$(cd '$ks' && find . -mindepth 2 -path './??/*' | cut -c3- | LC_ALL=C sort)\" = \"$keep\" ]"
