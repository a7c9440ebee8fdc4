#!/usr/bin/env bash
# Soak test of composefs-fuse: READERS parallel `tar` readers of one mount, as an
# unprivileged user (nobody), for SECONDS, while an evictor drops the mount's
# file pages (POSIX_FADV_DONTNEED on every file, in a loop) so the data keeps
# going through the server instead of the page cache. Prints the server's RSS
# and open fds at the start (mounted, before any read), after the first full
# pass, and at the end, its peak RSS, the passes made and the failed passes
# (which must be 0). Run as root (it drops privileges for the mount and readers).
#   bench/fuse-soak.sh [BUILD_DIR] [SECONDS] [READERS] [DIR]
# Defaults: build, 180 s, 16 readers, /usr/include.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$here/build}" && pwd)
seconds=${2:-180}
readers=${3:-16}
dir=${4:-/usr/include}
[ "$(id -u)" -eq 0 ] || { echo "bench/fuse-soak.sh: run as root (it runs the mount and readers as nobody)" >&2; exit 1; }
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; }
python=/usr/bin/python3

work=$(mktemp -d /var/tmp/fuse-soak.XXXXXX)
chmod 755 "$work"
mnt=$work/mnt
server=""
# A normal system makes /dev/fuse 0666 (udev); some containers leave it 0600.
fuse_mode=$(stat -c %a /dev/fuse)
[ "$fuse_mode" = 666 ] || chmod 666 /dev/fuse
cleanup() {
  as_nobody fusermount3 -u "$mnt" 2> /dev/null || umount -l "$mnt" 2> /dev/null || true
  [ -n "$server" ] && wait "$server" 2> /dev/null
  [ "$fuse_mode" = 666 ] || chmod "$fuse_mode" /dev/fuse
  rm -rf "$work"
}
trap cleanup EXIT
mkdir "$mnt" "$work/status"
chown nobody:nogroup "$mnt" "$work/status"

"$build/mkcomposefs/mkcomposefs" --digest-store="$work/objs" "$dir" "$work/img.cfs" > /dev/null
chmod -R a+rX "$work/objs" "$work/img.cfs"
echo "tree: $dir ($(find "$dir" | wc -l) names, $(du -sh "$dir" | cut -f1)); $readers readers for $seconds s as nobody"

# setpriv itself (not the as_nobody function, which a subshell would run) so $!
# is the server's pid once setpriv has exec'ed it.
setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$build/composefs-fuse/composefs-fuse" -f -o basedir="$work/objs" "$work/img.cfs" "$mnt" 2> "$work/server.log" &
server=$!
for _ in $(seq 100); do findmnt -rn --mountpoint "$mnt" > /dev/null && break; sleep 0.1; done
findmnt -rn --mountpoint "$mnt" > /dev/null || { echo "mount failed: $(cat "$work/server.log")" >&2; exit 1; }

# "RSS_KiB FDS" of the server now; and its peak RSS.
sample() { echo "$(awk '/^VmRSS/ {print $2}' /proc/$server/status) $(ls /proc/$server/fd | wc -l)"; }
peak() { awk '/^VmHWM/ {print $2}' /proc/$server/status; }
start=$(sample)

# One reader: whole-tree tar passes through a pipe (tar skips the data when it
# writes to /dev/null) until the deadline; one line per pass, "ok" or "error".
reader() {
  local deadline=$1 out=$2
  while [ "$(date +%s)" -lt "$deadline" ]; do
    if tar -cf - -C "$mnt" . 2> /dev/null | cat > /dev/null && [ "${PIPESTATUS[0]}" -eq 0 ]; then
      echo ok >> "$out"
    else
      echo error >> "$out"
    fi
  done
}
export -f reader
export mnt

# The first pass alone, to sample the server once every object has been opened.
as_nobody bash -c 'tar -cf - -C "$1" . | cat > /dev/null' _ "$mnt"
after_first=$(sample)

deadline=$(( $(date +%s) + seconds ))
pids=()
for i in $(seq "$readers"); do
  as_nobody bash -c 'reader "$1" "$2"' _ "$deadline" "$work/status/$i" &
  pids+=($!)
done
as_nobody $python - "$mnt" "$deadline" << 'EOF' &
import os, sys, time
mnt, deadline = sys.argv[1], int(sys.argv[2])
while time.time() < deadline:
    for root, _, files in os.walk(mnt):
        for name in files:
            try:
                fd = os.open(os.path.join(root, name), os.O_RDONLY | os.O_NOFOLLOW)
            except OSError:
                continue
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            os.close(fd)
    time.sleep(1)
EOF
pids+=($!)
# Samples every 30 s: growth that goes on would show here.
( while [ "$(date +%s)" -lt "$deadline" ]; do sleep 30; echo "$(sample)" >> "$work/samples"; done ) &
sampler=$!
for p in "${pids[@]}"; do wait "$p"; done
kill $sampler 2> /dev/null || true
end=$(sample)
passes=$(cat "$work/status"/* | grep -c '^ok$' || true)
errors=$(cat "$work/status"/* | grep -c '^error$' || true)

printf '%-22s %10s %6s\n' "" "RSS (KiB)" "fds"
printf '%-22s %10s %6s\n' "mounted" $start
printf '%-22s %10s %6s\n' "after the first pass" $after_first
n=0
while read -r line; do n=$((n + 30)); printf '%-22s %10s %6s\n' "after ${n} s" $line; done < "$work/samples"
printf '%-22s %10s %6s\n' "end" $end
echo "peak RSS: $(peak) KiB; passes: $passes; failed passes: $errors"
[ -s "$work/server.log" ] && { echo "server log:"; head -5 "$work/server.log"; }
[ "$errors" -eq 0 ]
