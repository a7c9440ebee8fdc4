#!/usr/bin/env bash
# The mount suite (tests/mount/check-mount.sh) on the guest's kernel: on 6.12
# file-backed EROFS and data-only layers by default, on 6.1 the loop device and
# the legacy overlay options; every forced path on both.
set -euo pipefail
b=$CFS_BUILD
exec bash tests/mount/check-mount.sh "$b/mkcomposefs/mkcomposefs" "$b/mount-helper/mount.composefs" \
  "$b/tests/mount/tree-manifest"
