#!/usr/bin/env bash
# fs-verity hashing throughput on one core, SHA-256 and SHA-512: our
# `composefs-info --hash=ALG measure-file` (the same Hasher mkcomposefs uses)
# against fsverity-utils' `fsverity digest --hash-alg=ALG` and OpenSSL's raw
# 4096-byte-block speed. The file lives in /dev/shm (no disk in the figure); the
# figures are CPU seconds (user + system), so a busy machine skews them less.
#   bench/fsverity-hash.sh [COMPOSEFS_INFO] [MIB] [RUNS]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
info=${1:-$here/build/composefs-info/composefs-info}
mib=${2:-1024}
runs=${3:-3}
command -v fsverity > /dev/null || { echo "needs fsverity (Debian package fsverity)"; exit 1; }
file=$(mktemp /dev/shm/cfs-bench.XXXXXX)
trap 'rm -f "$file"' EXIT
head -c $((mib << 20)) /dev/urandom > "$file"

best_secs() {  # least CPU time (user + system) of RUNS runs of "$@"
  local best="" t
  t=$(mktemp)
  for _ in $(seq "$runs"); do
    local s
    /usr/bin/time -f "%U %S" -o "$t" "$@" > /dev/null
    s=$(awk '{print $1 + $2}' "$t")
    if [ -z "$best" ] || awk "BEGIN{exit !($s < $best)}"; then best=$s; fi
  done
  rm -f "$t"
  echo "$best"
}

for alg in sha256 sha512; do
  ours=$(best_secs "$info" --hash=$alg measure-file "$file")
  theirs=$(best_secs fsverity digest --hash-alg=$alg "$file")
  ossl=$(openssl speed -seconds 2 -bytes 4096 "$alg" 2> /dev/null | awk -v a="$alg" '$1 == a {print $2}' | sed 's/k$//')
  awk -v a="$alg" -v m="$mib" -v o="$ours" -v t="$theirs" -v s="$ossl" 'BEGIN {
    printf "%s: ours %.2f GB/s, fsverity-utils %.2f GB/s (ours/theirs time %.2fx), OpenSSL 4 KiB blocks %.2f GB/s\n",
      a, m * 1.048576 / 1000 / o, m * 1.048576 / 1000 / t, o / t, s * 1000 / 1e9 }'
done
