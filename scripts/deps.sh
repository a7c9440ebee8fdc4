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
# What the VM tests (tests/vm) need, installed without recommends (qemu's pull
# in a desktop): qemu, modprobe/depmod for the guest kernel's modules, a static
# busybox for the guest's initramfs.
CFS_VM_PACKAGES=(qemu-system-x86 kmod busybox-static)
# The kernel series the VM tests boot, and where their packages are unpacked.
CFS_VM_KERNELS=(6.1 6.12)
: "${CFS_VM_CACHE:=/var/cache/composefs-vm}"

# cfs_install_deps [--tests]: the build's packages, and with --tests the tests' too.
cfs_install_deps() {
  _cfs_apt_install "${CFS_PACKAGES[@]}"
  [ "${1:-}" = --tests ] || return 0
  _cfs_apt_install "${CFS_TEST_PACKAGES[@]}"
  _cfs_apt_install --no-install-recommends "${CFS_VM_PACKAGES[@]}"
}

_cfs_sudo() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# _cfs_apt_install [--no-install-recommends] PACKAGE...: installs those missing.
_cfs_apt_install() {
  local opts=()
  [ "$1" = --no-install-recommends ] && { opts=("$1"); shift; }
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "Installing missing packages: ${missing[*]}"
  [ -n "${_cfs_apt_updated:-}" ] || { _cfs_sudo apt-get update -qq; _cfs_apt_updated=1; }
  DEBIAN_FRONTEND=noninteractive _cfs_sudo apt-get install -y -qq "${opts[@]}" "${missing[@]}" >/dev/null
}

# _cfs_newest_package REGEX: the newest version of the packages named REGEX.
_cfs_newest_package() { apt-cache search --names-only "$1" | awk '{print $1}' | sort -V | tail -1; }

# cfs_vm_kernel SERIES (6.1, 6.12, ...): prints the directory holding Debian 12's
# amd64 kernel of that series unpacked (boot/vmlinuz-*, lib/modules/*, depmod
# run), from $CFS_VM_CACHE. The first call fetches the newest such package with
# `apt-get download` and unpacks it with `dpkg -x`; nothing is installed. Delete
# the cache directory to fetch a newer one. Messages go to stderr.
cfs_vm_kernel() {
  local series=$1
  # linux-image-6.1.0-57-amd64-unsigned, linux-image-6.12.118+deb12-amd64-unsigned
  local re="^linux-image-${series//./\\.}(\\.0-[0-9]+|\\.[0-9]+\\+deb[0-9]+)-amd64-unsigned\$"
  local dir
  dir=$(find "$CFS_VM_CACHE" -maxdepth 2 -name .ready -printf '%h\n' 2>/dev/null |
    grep -E "/${re#^}" | sort -V | tail -1) || true
  if [ -z "$dir" ]; then
    local pkg
    pkg=$(_cfs_newest_package "$re")
    if [ -z "$pkg" ] && [ -z "${_cfs_apt_updated:-}" ]; then  # package lists not fetched yet
      _cfs_sudo apt-get update -qq >&2 && _cfs_apt_updated=1
      pkg=$(_cfs_newest_package "$re")
    fi
    [ -n "$pkg" ] || { echo "no Debian kernel package for Linux $series (apt-get update?)" >&2; return 1; }
    dir=$CFS_VM_CACHE/$pkg
    echo "Fetching $pkg into $CFS_VM_CACHE" >&2
    _cfs_sudo mkdir -p "$CFS_VM_CACHE/debs"
    (cd "$CFS_VM_CACHE/debs" && _cfs_sudo apt-get download -qq -o APT::Sandbox::User=root "$pkg") >&2 || return 1
    _cfs_sudo rm -rf "$dir"
    _cfs_sudo dpkg -x "$CFS_VM_CACHE/debs/${pkg}"_*.deb "$dir" || return 1
    _cfs_sudo rm -f "$CFS_VM_CACHE/debs/${pkg}"_*.deb
    local release
    release=$(ls "$dir/lib/modules")
    _cfs_sudo depmod -b "$dir" "$release" || return 1
    _cfs_sudo touch "$dir/.ready"
  fi
  echo "$dir"
}
