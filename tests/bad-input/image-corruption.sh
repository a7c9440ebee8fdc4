# Sourced by check-bad-input.sh: image corruption (row 3 of doc/bad-input.md).
# A valid image with every kind of inode is corrupted by truncation, bit flips and
# extreme field values; every corrupted image goes through each read path of
# composefs-info (dump, ls --filter, objects, fsck) and composefs-dump, which must
# exit 0, or 1 with a message: never a signal or a hang.

# The base image: directories of several dirent blocks, shared and inline xattrs,
# symlinks, hardlinks, inline and external files, devices, a whiteout.
{
  printf '/ 4096 40755 2 0 0 0 0.0 - - - user.root=1\n'
  for d in 1 2 3; do
    printf '/d%s 4096 40755 2 0 0 0 0.0 - - - security.selinux=system_u:object_r:usr_t:s0\n' "$d"
    for i in $(seq 1 60); do
      printf '/d%s/file-with-a-longer-name-%s 12 100644 1 %s 0 0 %s.5 - hello-world%s - user.shared=same user.own%s=%s\n' \
        "$d" "$i" "$i" "$i" "$((i % 10))" "$i" "$i"
    done
  done
  printf '/ext 123456 100644 1 0 0 0 0.0 ab/%s - ab%s\n' "$(printf 'c%.0s' {1..62})" "$(printf 'c%.0s' {1..62})"
  printf '/link 0 @100644 0 0 0 0 0.0 /d1/file-with-a-longer-name-1 - -\n'
  printf '/sym 11 120777 1 0 0 0 0.0 d1/nowhere - -\n'
  printf '/blk 0 60660 1 0 0 2049 0.0 - - -\n/fifo 0 10644 1 0 0 0 0.0 - - -\n/wh 0 20000 1 0 0 0 0.0 - - -\n'
} > "$work/base.dump"
"$mk" --from-file "$work/base.dump" "$work/base.img" || bad "image corruption: base image builds"
img_size=$(stat -c %s "$work/base.img")

# read_paths IMG LABEL: every read path on one image; one FAIL line per broken path.
read_paths() {
  local img=$1 label=$2 cmd
  for cmd in "dump" "ls --filter=d2 --filter=sym" "objects" "fsck"; do
    # shellcheck disable=SC2086  # cmd holds a command and its options
    run_tool "$info" $cmd "$img"
    answer_on_stdout=0 && [ "$cmd" = fsck ] && answer_on_stdout=1
    answered || bad "image corruption: $label: composefs-info $cmd"
  done
  answer_on_stdout=0
  run_tool "$cdump" "$img" "$work/rewritten.img"
  answered || bad "image corruption: $label: composefs-dump"
}

check "image corruption: base image reads back" bash -c "'$info' fsck '$work/base.img' > /dev/null"
fail_before=$fail n=0

for cut in 0 31 1024 4095 $((img_size - 4096)) $((img_size - 1)); do
  head -c "$cut" "$work/base.img" > "$work/m.img"
  read_paths "$work/m.img" "truncated to $cut bytes"; n=$((n + 1))
done

off=7
for i in $(seq 1 16); do  # bit flips spread over the whole image (fixed LCG: same every run)
  off=$(((off * 1103515245 + 12345) % img_size))
  cp "$work/base.img" "$work/m.img"
  flip "$work/m.img" "$off" $((i % 8))
  read_paths "$work/m.img" "bit $((i % 8)) of byte $off flipped"; n=$((n + 1))
done

# Extreme values in the 32-bit slots of the composefs header, in every other slot
# of the superblock's first 96 bytes, and in the root inode (where meta_blkaddr and root_nid say it is),
# alternating all-ones and a lone top bit.
extremes() {  # extremes FROM TO STEP
  local at v
  for ((at = $1; at < $2; at += $3)); do
    v=ffffffff && [ $(((at / 4) % 2)) = 1 ] && v=00000080
    cp "$work/base.img" "$work/m.img"
    poke "$work/m.img" "$at" "$v"
    read_paths "$work/m.img" "bytes $at-$((at + 3)) set to $v"; n=$((n + 1))
  done
}
extremes 0 32 4
extremes 1024 1120 8
root_inode=$(($(u32 "$work/base.img" 1064) * 4096 + $(u16 "$work/base.img" 1038) * 32))
extremes "$root_inode" $((root_inode + 64)) 4
for at in 8 16; do  # the root's i_size (extended) or i_u/i_ino (compact) as 2^63-1
  cp "$work/base.img" "$work/m.img"
  poke "$work/m.img" $((root_inode + at)) ffffffffffffff7f
  read_paths "$work/m.img" "root inode bytes +$at set to 2^63-1"; n=$((n + 1))
done
[ $fail -eq "$fail_before" ] && ok "image corruption: $n corrupted images through 5 read paths: exit 0 or 1 with a message"

# An image above the 1 GiB cap (a sparse file: no disk space used) is refused
# before it is mapped.
truncate -s $(((1 << 30) + 4096)) "$work/huge.img"
run_tool "$info" dump "$work/huge.img"
check "image too large: composefs-info refuses an image above 1 GiB" refused
check "image too large:   message says larger than 1 GiB" grep -q 'larger than 1 GiB' "$work/err"
run_tool "$cdump" "$work/huge.img" "$work/huge-out.img"
check "image too large: composefs-dump refuses it too" refused
rm -f "$work/huge.img"
