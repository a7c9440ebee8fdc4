#!/usr/bin/env bash
# Installs, with apt, whatever the build and the tests need that is missing.
# Sourced by build.sh and run-tests.sh; safe to run again.
set -euo pipefail

CFS_PACKAGES=(g++ meson ninja-build pkg-config libssl-dev zlib1g-dev libarchive-dev nlohmann-json3-dev libmount-dev libfuse3-dev fuse3 catch2 erofs-utils xz-utils gzip util-linux python3 fsverity attr)
# What only the tests need: man(1) for the man pages, strace for what composefs-info
# opens with a hostile image (tests/fuse/check-hostile-image.sh), the Debian and RPM
# build tools so the packaging tests build packages instead of skipping, umoci
# (the reference unpacker of tests/oci) and zstd (zstd layers there).
CFS_TEST_PACKAGES=(man-db strace dpkg-dev debhelper rpm lintian umoci zstd)

# cfs_install_deps [--tests]: the build's packages, and with --tests the tests' too.
cfs_install_deps() {
  local wanted=("${CFS_PACKAGES[@]}")
  [ "${1:-}" = --tests ] && wanted+=("${CFS_TEST_PACKAGES[@]}")
  local missing=()
  for pkg in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "Installing missing packages: ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
}
