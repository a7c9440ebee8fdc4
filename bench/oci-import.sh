#!/usr/bin/env bash
# mkcomposefs --from-oci against what a user does today with the same image:
# `umoci raw unpack` then composefs-c's `mkcomposefs --digest-store` of the rootfs.
# Both with a fresh store (and rootfs) each run, page cache warm, same machine and
# run; prints each run and the medians (wall seconds, peak RSS).
#   bench/oci-import.sh [DIR] [RUNS]      (as root: umoci restores owners)
# DIR (default /usr/share) is packed once into a one-layer gzip OCI layout.
# C_MKCOMPOSEFS (default /tmp/composefs-c/build-o2/tools/mkcomposefs) and
# MKCOMPOSEFS (default build/mkcomposefs/mkcomposefs) name the binaries.
# FRESH_FS=1: each run's rootfs and store go to a newly made ext4 (a loop image
# under /var/tmp), so neither side pays for the inodes earlier runs deleted (on a
# long-used filesystem that walk, and other users' dirty data in syncfs, dominate).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-/usr/share}
runs=${2:-3}
ours=${MKCOMPOSEFS:-$here/build/mkcomposefs/mkcomposefs}
cmk=${C_MKCOMPOSEFS:-/tmp/composefs-c/build-o2/tools/mkcomposefs}
work=$(mktemp -d /var/tmp/oci-bench.XXXXXX)
out=$work  # where rootfs and store go
cleanup() {
  umount -q "$work/fs" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fresh() {  # empties rootfs and store; with FRESH_FS=1 on a new filesystem
  if [ "${FRESH_FS:-0}" = 1 ]; then
    umount -q "$work/fs" 2>/dev/null || true
    rm -f "$work/fs.img" && truncate -s 8G "$work/fs.img" && mkfs.ext4 -q -F "$work/fs.img"
    mkdir -p "$work/fs" && mount -o loop "$work/fs.img" "$work/fs"
    out=$work/fs
  else
    rm -rf "$work/rootfs" "$work/store"
  fi
}

# The layout: one gzip layer of DIR (tar as containers ship them: numeric owners, xattrs).
layer=$work/layer.tar.gz
tar --numeric-owner --xattrs --xattrs-include='*' -C "$dir" -cf - . 2>/dev/null | gzip -1 > "$layer"
python3 - "$work/layout" "$layer" <<'EOF'
import gzip, hashlib, json, os, shutil, sys
out, layer = sys.argv[1], sys.argv[2]
os.makedirs(out + "/blobs/sha256")
def put(path_or_bytes):
    data = path_or_bytes if isinstance(path_or_bytes, bytes) else open(path_or_bytes, "rb").read()
    d = hashlib.sha256(data).hexdigest()
    open(out + "/blobs/sha256/" + d, "wb").write(data)
    return {"digest": "sha256:" + d, "size": len(data)}
diff = hashlib.sha256()
with gzip.open(layer) as f:
    while chunk := f.read(1 << 20):
        diff.update(chunk)
l = dict(put(layer), mediaType="application/vnd.oci.image.layer.v1.tar+gzip")
cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                  "rootfs": {"type": "layers", "diff_ids": ["sha256:" + diff.hexdigest()]}}).encode()
c = dict(put(cfg), mediaType="application/vnd.oci.image.config.v1+json")
m = json.dumps({"schemaVersion": 2, "config": c, "layers": [l]}).encode()
md = dict(put(m), mediaType="application/vnd.oci.image.manifest.v1+json",
          annotations={"org.opencontainers.image.ref.name": "bench"})
json.dump({"schemaVersion": 2, "manifests": [md]}, open(out + "/index.json", "w"))
open(out + "/oci-layout", "w").write('{"imageLayoutVersion": "1.0.0"}')
EOF
rm -f "$layer"
echo "layout: $(du -sh "$work/layout" | cut -f1) gzip, from $dir ($(find "$dir" | wc -l) entries)"

pipeline() {  # umoci raw unpack + C mkcomposefs --digest-store
  umoci raw unpack --image "$work/layout:bench" "$out/rootfs" > /dev/null 2>&1
  "$cmk" --digest-store="$out/store" "$out/rootfs" "$work/c.img"
}
direct() {
  "$ours" --from-oci="$work/layout:bench" --digest-store="$out/store" "$work/ours.img"
}
export -f pipeline direct
export work cmk ours out

declare -A times rss
for i in $(seq 0 "$runs"); do  # run 0 warms the page cache and is not counted
  for what in pipeline direct; do
    fresh
    export out
    sync
    /usr/bin/time -f "%e %M" -o "$work/t" bash -c "$what"
    read -r secs kb < "$work/t"
    [ "$i" -eq 0 ] && continue
    echo "run $i $what: ${secs} s, peak RSS $((kb / 1024)) MiB"
    times[$what]+="$secs "
    rss[$what]+="$kb "
  done
done
cmp -s <("$here/build/composefs-info/composefs-info" dump "$work/c.img") \
       <("$here/build/composefs-info/composefs-info" dump "$work/ours.img") \
  && echo "images: same tree" || echo "images: trees differ (directory mtimes: umoci's unpack time)"
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
p=$(echo "${times[pipeline]}" | median)
d=$(echo "${times[direct]}" | median)
echo "median: umoci raw unpack + C mkcomposefs --digest-store: $p s ($(( $(echo "${rss[pipeline]}" | median | cut -d. -f1) / 1024 )) MiB)"
echo "median: mkcomposefs --from-oci --digest-store:          $d s ($(( $(echo "${rss[direct]}" | median | cut -d. -f1) / 1024 )) MiB)"
awk -v p="$p" -v d="$d" 'BEGIN {printf "ratio: %.2fx\n", d / p}'
