#!/usr/bin/env bash
# Builds and tests composefs-cpp for another Debian architecture, and checks that
# it writes the same images as the native build (issue 23).
#
#   scripts/cross-test.sh ARCH [MODE]
#     ARCH: i386 | s390x | armhf
#     MODE: full   (default) build, run the suites that can run there, compare images
#           golden only build and compare the images of the golden corpus
#
# Sets up, with apt, Debian's cross toolchain (crossbuild-essential-ARCH; for
# s390x and armhf qemu-user-static; for i386 the i386 C/C++ runtime, which runs
# natively on amd64). The foreign -dev libraries are not installed (apt cannot
# co-install most of them beside amd64's): they are downloaded (apt-get download)
# and unpacked into a sysroot under $CFS_CROSS_CACHE (default
# /var/cache/composefs-cross/ARCH). The build goes to build-cross-ARCH in the tree,
# with -Dwerror=true. Suites: i386 runs all but packaging; under qemu-user (no
# FUSE: /dev/fuse messages are not translated; no new mount API, no fs-verity
# ioctls) all suites but fuse, mount, capi, oci and packaging (see the end).
# Run as root (apt). Exit status 77: the toolchain could not be set up.
set -euo pipefail
cd "$(dirname "$0")/.."
arch=${1:?usage: scripts/cross-test.sh i386|s390x|armhf [full|golden]}
mode=${2:-full}
case $arch in
  i386) triplet=i686-linux-gnu multiarch=i386-linux-gnu cpu_family=x86 cpu=i686 endian=little ;;
  s390x) triplet=s390x-linux-gnu multiarch=s390x-linux-gnu cpu_family=s390x cpu=s390x endian=big ;;
  armhf) triplet=arm-linux-gnueabihf multiarch=arm-linux-gnueabihf cpu_family=arm cpu=armv7 endian=little ;;
  *) echo "cross-test.sh: unknown architecture $arch" >&2; exit 2 ;;
esac
cache=${CFS_CROSS_CACHE:-/var/cache/composefs-cross}/$arch
sysroot=$cache/sysroot
build=build-cross-$arch
native=${CFS_NATIVE_BUILD:-build}
log() { echo "cross-test[$arch]: $*"; }
unavailable() { log "skipped: $*"; exit 77; }
[ "$(id -u)" = 0 ] || unavailable "needs root (apt)"

# ---- toolchain --------------------------------------------------------------
toolchain=(crossbuild-essential-"$arch")
case $arch in
  i386) toolchain+=(libc6:i386 libstdc++6:i386 libgcc-s1:i386) ;;
  *) toolchain+=(qemu-user-static) ;;
esac
if ! command -v "$triplet-g++" > /dev/null || { [ "$arch" != i386 ] && ! command -v "qemu-$arch-static" > /dev/null; }; then
  dpkg --print-foreign-architectures | grep -qx "$arch" || dpkg --add-architecture "$arch"
  apt-get update -qq || log "apt-get update reported errors (a mirror in sync?); going on with what it has"
  # --no-remove: never let apt take amd64 packages away for this.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-remove "${toolchain[@]}" > /dev/null ||
    unavailable "could not install ${toolchain[*]}"
fi

# ---- sysroot: the foreign libraries, unpacked ----------------------------
dev_packages=(libssl-dev zlib1g-dev libfuse3-dev libarchive-dev libmount-dev)
# Header-only packages the build takes from pkg-config: unpacked into the
# sysroot too, since pkg-config prefixes every path with it.
header_packages=(nlohmann-json3-dev catch2)
# The toolchain brings libc, libstdc++ and the kernel headers; never mix others in.
toolchain_re='^(libc6|libc6-dev|libc-dev-bin|linux-libc-dev|libstdc\+\+6|libstdc\+\+-12-dev|libgcc-s1|libgcc-12-dev|gcc-12-base|libcrypt1|libcrypt-dev|libnsl2|libnsl-dev|libtirpc3|libtirpc-dev|rpcsvc-proto|libasan8|libubsan1|libatomic1|libgomp1|libitm1|libquadmath0|libcom-err2|libgssapi-krb5-2|libk5crypto3|libkeyutils1|libkrb5-3|libkrb5support0)$'
if [ ! -f "$sysroot/.complete" ]; then
  log "downloading the $arch libraries into $sysroot"
  rm -rf "$cache" && mkdir -p "$cache/debs" "$sysroot"
  mapfile -t pkgs < <(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
      --no-replaces --no-enhances "${dev_packages[@]/%/:$arch}" 2> /dev/null |
    grep -E "^[a-z0-9].*:$arch$" | sed "s/:$arch$//" | sort -u | grep -Ev "$toolchain_re")
  [ ${#pkgs[@]} -gt 0 ] || unavailable "apt knows no $arch packages (dpkg --add-architecture $arch; apt-get update)"
  (cd "$cache/debs" && apt-get download -qq "${pkgs[@]/%/:$arch}" "${header_packages[@]}") ||
    unavailable "apt-get download of the $arch libraries failed"
  for deb in "$cache"/debs/*.deb; do dpkg -x "$deb" "$sysroot"; done
  # Absolute symlinks (libfoo.so -> /lib/...) must point inside the sysroot.
  find "$sysroot" -type l -lname '/*' | while read -r link; do
    ln -sfn "$sysroot$(readlink "$link")" "$link"
  done
  touch "$sysroot/.complete"
fi

# ---- meson cross file -------------------------------------------------------
libdirs=("$sysroot/usr/lib/$multiarch" "$sysroot/lib/$multiarch")
link_args=""
for d in "${libdirs[@]}"; do link_args+="'-L$d', '-Wl,-rpath-link,$d', "; done
exe_wrapper=""
run_prefix=()
if [ "$arch" != i386 ]; then
  exe_wrapper="exe_wrapper = ['qemu-$arch-static', '-L', '/usr/$triplet']"
  run_prefix=("qemu-$arch-static" -L "/usr/$triplet")
fi
cross=$cache/cross.ini
cat > "$cross" << CROSS_END
[binaries]
c = '$triplet-gcc'
cpp = '$triplet-g++'
ar = '$triplet-ar'
strip = '$triplet-strip'
pkgconfig = 'pkg-config'
$exe_wrapper

[properties]
sys_root = '$sysroot'
pkg_config_libdir = '$sysroot/usr/lib/$multiarch/pkgconfig:$sysroot/usr/share/pkgconfig:$sysroot/usr/lib/pkgconfig'

[built-in options]
c_args = ['-isystem', '$sysroot/usr/include/$multiarch']
cpp_args = ['-isystem', '$sysroot/usr/include/$multiarch']
c_link_args = [$link_args]
cpp_link_args = [$link_args]

[host_machine]
system = 'linux'
cpu_family = '$cpu_family'
cpu = '$cpu'
endian = '$endian'
CROSS_END

# The foreign shared libraries, found at run time (i386 runs natively).
export LD_LIBRARY_PATH=$(IFS=:; echo "${libdirs[*]}")
export QEMU_LD_PREFIX=/usr/$triplet

log "building $build"
[ -f "$build/build.ninja" ] || meson setup "$build" --cross-file "$cross" --buildtype=release -Dwerror=true > "$cache/setup.log" ||
  { cat "$cache/setup.log"; exit 1; }
ninja -C "$build" > "$cache/build.log" || { tail -40 "$cache/build.log"; exit 1; }

status=0
# ---- the same images as the native build -------------------------------------
[ -x "$native/mkcomposefs/mkcomposefs" ] || { meson setup "$native" --buildtype=release > /dev/null; ninja -C "$native" > /dev/null; }
compared=0 differ=0
cross_mk=$build/mkcomposefs/mkcomposefs
[ -f "$cross_mk.real" ] && cross_mk=$cross_mk.real  # wrapped for the suites by an earlier run
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for input in tests/golden/upstream/*.dump tests/golden/upstream/*.dump.gz tests/golden/random/*.dump.xz; do
  [ -e "$input" ] || continue
  case $input in */should-fail-*) continue ;; esac
  src=$input
  if [[ $input == *.xz ]]; then xz -dc "$input" > "$work/in.dump"; src=$work/in.dump; fi
  for hash in sha256 sha512; do
    for version in 0 1; do
      args=(--from-file --min-version=$version --max-version=$version)
      [ "$hash" = sha256 ] || args+=(--hash=sha512)
      CFS_PARSE_STRICT= "$native/mkcomposefs/mkcomposefs" "${args[@]}" "$src" "$work/native.cfs" 2> /dev/null || continue
      CFS_PARSE_STRICT= "${run_prefix[@]}" "$cross_mk" "${args[@]}" "$src" "$work/cross.cfs" 2> "$work/err" ||
        { log "FAIL: $input ($hash, v$version) fails on $arch: $(head -1 "$work/err")"; differ=$((differ + 1)); continue; }
      compared=$((compared + 1))
      cmp -s "$work/native.cfs" "$work/cross.cfs" || { log "FAIL: $input ($hash, v$version) differs"; differ=$((differ + 1)); }
    done
  done
done
log "golden corpus: $compared images compared with the native build, $differ differ or fail"
[ "$compared" -gt 0 ] && [ "$differ" -eq 0 ] || status=1

# ---- the suites ----------------------------------------------------------------
if [ "$mode" = full ]; then
  if [ "$arch" = i386 ]; then
    # Everything but packaging (built from the source tree, not this build) and:
    # - fuse-*: Debian's i386 libfuse3 has a 32-bit time_t in its struct stat, so
    #   composefs-fuse cannot serve times after 2038 there (the oracle's trees
    #   have them); the images themselves are checked above and by golden/oracle.
    # - fstab: mount(8) clears LD_LIBRARY_PATH for its helpers, and the i386
    #   libraries live in the sysroot, not where the dynamic loader looks.
    skip_re='^(packaging-|fuse-|fstab$)'
    log "not run on i386: packaging, fuse-* (libfuse3's 32-bit time_t), fstab (mount(8) drops LD_LIBRARY_PATH)"
  else
    log "not run under qemu-user: fuse, mount, capi, oci, packaging (no /dev/fuse translation, no new mount API)"
    skip_re='^(packaging-|fuse-|fstab$|mount$|capi-|oci-)'
  fi
  if [ "$arch" != i386 ]; then
    # No binfmt_misc here: the test scripts exec the tools directly, so each tool
    # becomes a wrapper that runs the real binary under qemu-user (meson's
    # exe_wrapper covers only what meson runs itself).
    for tool in mkcomposefs/mkcomposefs composefs-info/composefs-info composefs-dump/composefs-dump \
        composefs-store/composefs-store mount-helper/mount.composefs tests/mount/tree-manifest \
        tests/stream/compare_stream; do
      exe=$build/$tool
      [ -f "$exe" ] || continue
      if ! head -c 4 "$exe" | grep -q '#!'; then
        mv "$exe" "$exe.real"
        printf '#!/bin/sh\nexec qemu-%s-static -L /usr/%s -0 "$0" "$0.real" "$@"\n' "$arch" "$triplet" > "$exe"
        chmod +x "$exe"
      fi
    done
  fi
  [ "$arch" = i386 ] || export CFS_NO_FUSE=1  # suites with a FUSE part skip it
  mapfile -t tests < <(meson test -C "$build" --list 2> /dev/null | sed 's/^.* \/ //' | grep -Ev "$skip_re")
  meson test -C "$build" --num-processes 2 --print-errorlogs "${tests[@]}" || status=1
fi
exit $status
