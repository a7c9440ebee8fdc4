#!/usr/bin/env bash
# The VM itself: the kernel booted, /tmp is an ext4 that enables fs-verity.
set -euo pipefail
uname -r
grep -E ' (/|/tmp) ' /proc/self/mounts
head -c 10000 /dev/urandom > /tmp/smoke
fsverity enable /tmp/smoke
fsverity measure /tmp/smoke
