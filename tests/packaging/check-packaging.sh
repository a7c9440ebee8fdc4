#!/usr/bin/env bash
# check-packaging.sh deb|rpm SRCDIR
#
# Builds the packages of the source tree SRCDIR with packaging/build-deb (or
# packaging/build-rpm) into a temporary directory and checks them: name and
# version (the meson project version, +cpp suffix), the tools in /usr/bin,
# the library (.so.1) and development files (headers, .so, composefs.pc) in
# their own packages,
# mount.composefs in /usr/sbin or /sbin (when the tree has mount-helper/), the five
# man pages, nothing else outside those places, and that the packaged mkcomposefs
# runs. For deb, libcomposefs1 carries the symbols file, and lintian --pedantic
# (when installed) must report no error or warning.
# Exits 77 (skipped), with a message, when the build tools are missing or when run
# from inside a package build (CFS_IN_PACKAGE_BUILD).
set -uo pipefail

if [ $# -ne 2 ] || { [ "$1" != deb ] && [ "$1" != rpm ]; }; then
  echo "usage: $0 deb|rpm SRCDIR" >&2
  exit 2
fi
kind=$1
src=$(cd "$2" && pwd)

skip() { echo "SKIP: $*"; exit 77; }
[ -z "${CFS_IN_PACKAGE_BUILD:-}" ] || skip "running inside a package build"

if [ "$kind" = deb ]; then
  command -v dpkg-buildpackage >/dev/null 2>&1 || skip "dpkg-buildpackage not found (apt-get install dpkg-dev debhelper)"
  command -v dh >/dev/null 2>&1 || skip "dh not found (apt-get install debhelper)"
  # Build dependencies as dpkg sees them (test-only ones are left out: nocheck).
  missing=$(cd "$src/packaging" && dpkg-checkbuilddeps -Pnocheck debian/control 2>&1) ||
    skip "build dependencies missing: ${missing#*: }"
else
  command -v rpmbuild >/dev/null 2>&1 || skip "rpmbuild not found (apt-get install rpm)"
fi

failures=0
ok() { echo "ok - $*"; }
fail() { echo "FAIL - $*"; failures=$((failures + 1)); }

work=$(mktemp -d "${TMPDIR:-/tmp}/check-packaging.XXXXXX")
trap 'rm -rf "$work"' EXIT

meson_version=$(sed -nE "s/^ *version *: *'([^']+)'.*/\1/p" "$src/meson.build" | head -n1)

echo "# building the $kind package(s) of $src"
start=$SECONDS
if ! "$src/packaging/build-$kind" "$work/out" >"$work/build.log" 2>&1; then
  fail "packaging/build-$kind failed; last lines of its output:"
  tail -n 40 "$work/build.log" | sed 's/^/#   /'
  exit 1
fi
ok "packaging/build-$kind built in $((SECONDS - start)) s"

if [ "$kind" = deb ]; then
  pkg=$(ls "$work"/out/composefs_*.deb 2>/dev/null | head -n1)
  [ -n "$pkg" ] || { fail "no composefs_*.deb among: $(ls "$work/out")"; exit 1; }
  name=$(dpkg-deb -f "$pkg" Package)
  version=$(dpkg-deb -f "$pkg" Version)
  files=$(dpkg-deb -c "$pkg" | awk '{ print $6 }' | sed 's|^\./|/|')
  mkdir -p "$work/root" && dpkg-deb -x "$pkg" "$work/root"
  others=
  for f in "$work"/out/*.deb; do
    case ${f##*/} in
      composefs_* | composefs-dbgsym_* | libcomposefs1_* | libcomposefs1-dbgsym_* | libcomposefs-dev_*) ;;
      *) others+=" ${f##*/}" ;;
    esac
  done
  [ -z "$others" ] && ok "only composefs, libcomposefs1, libcomposefs-dev (and dbgsym) are built" ||
    fail "unexpected packages: $others"
  lib_pkg=$(ls "$work"/out/libcomposefs1_*.deb 2>/dev/null | head -n1)
  dev_pkg=$(ls "$work"/out/libcomposefs-dev_*.deb 2>/dev/null | head -n1)
  lib_files=$([ -n "$lib_pkg" ] && dpkg-deb -c "$lib_pkg" | awk '{ print $6 }' | sed 's|^\./|/|')
  dev_files=$([ -n "$dev_pkg" ] && dpkg-deb -c "$dev_pkg" | awk '{ print $6 }' | sed 's|^\./|/|')
else
  pkg=$(ls "$work"/out/composefs-[0-9]*.rpm 2>/dev/null | head -n1)
  lib_pkg=$(ls "$work"/out/composefs-libs-[0-9]*.rpm 2>/dev/null | head -n1)
  dev_pkg=$(ls "$work"/out/composefs-devel-[0-9]*.rpm 2>/dev/null | head -n1)
  lib_files=$([ -n "$lib_pkg" ] && rpm -qlp "$lib_pkg" 2>/dev/null)
  dev_files=$([ -n "$dev_pkg" ] && rpm -qlp "$dev_pkg" 2>/dev/null)
  [ -n "$pkg" ] || { fail "no composefs-*.rpm among: $(ls "$work/out")"; exit 1; }
  name=$(rpm -qp --qf '%{name}' "$pkg" 2>/dev/null)
  version=$(rpm -qp --qf '%{version}' "$pkg" 2>/dev/null)
  files=$(rpm -qlp "$pkg" 2>/dev/null)
  mkdir -p "$work/root"
  if command -v rpm2archive >/dev/null 2>&1; then
    rpm2archive - <"$pkg" | tar -xzf - -C "$work/root"
  elif command -v cpio >/dev/null 2>&1; then
    (cd "$work/root" && rpm2cpio "$pkg" | cpio -idm --quiet)
  fi
fi

[ "$name" = composefs ] && ok "package name is composefs" || fail "package name is '$name', not composefs"
case $version in
  "$meson_version"+cpp*) ok "version $version follows the meson project version $meson_version" ;;
  *) fail "version $version does not start with '$meson_version+cpp'" ;;
esac

has() { grep -qxF -- "$1" <<<"$files"; }
for tool in mkcomposefs composefs-info composefs-dump composefs-store composefs-fuse; do
  has "/usr/bin/$tool" && ok "/usr/bin/$tool" || fail "/usr/bin/$tool is not in the package"
done
if [ -d "$src/mount-helper" ]; then
  if has /usr/sbin/mount.composefs || has /sbin/mount.composefs; then
    ok "mount.composefs in /usr/sbin or /sbin"
  else
    fail "mount.composefs is not in /usr/sbin or /sbin: $(grep mount.composefs <<<"$files" | tr '\n' ' ')"
  fi
else
  echo "# mount-helper/ is not in the tree yet: mount.composefs not checked"
fi
for page in man1/mkcomposefs.1 man1/composefs-info.1 man1/composefs-dump.1 man1/composefs-store.1 \
            man1/composefs-fuse.1 man5/composefs-dump.5 man8/mount.composefs.8; do
  grep -qE "^/usr/share/man/${page//./\\.}(\\.gz)?$" <<<"$files" && ok "man page $page" ||
    fail "man page $page is not in the package"
done
# Nothing but the tools, man pages, docs (and RPM's build-id links, Debian's lintian overrides).
stray=$(grep -vE '^/$|^/usr/?$|^/usr/(s?bin|share|share/man|share/doc|lib)/?$|^/(usr/)?sbin/mount\.composefs$|^/usr/bin/(mkcomposefs|composefs-info|composefs-dump|composefs-store|composefs-fuse)$|^/usr/share/man/man[158]/?|^/usr/share/doc/composefs/?|^/usr/share/lintian(/overrides(/composefs)?)?/?$|^/usr/lib/\.build-id(/|$)' <<<"$files" || true)
[ -z "$stray" ] && ok "no unexpected files" || fail "unexpected files: $(tr '\n' ' ' <<<"$stray")"

# The C API library and its development files, in their own packages.
[ -n "$lib_pkg" ] && ok "library package ${lib_pkg##*/}" || fail "no library package (libcomposefs1 / composefs-libs)"
[ -n "$dev_pkg" ] && ok "development package ${dev_pkg##*/}" || fail "no development package (libcomposefs-dev / composefs-devel)"
grep -qE '/libcomposefs\.so\.1$' <<<"$lib_files" && ok "libcomposefs.so.1 in the library package" ||
  fail "libcomposefs.so.1 is not in the library package"
for f in include/libcomposefs/lcfs-writer.h include/libcomposefs/lcfs-mount.h include/libcomposefs/lcfs-erofs.h \
         LIBDIR/libcomposefs.so LIBDIR/libcomposefs.a LIBDIR/pkgconfig/composefs.pc; do
  re="^/usr/${f//./\\.}\$"
  re=${re/LIBDIR/lib[^ ]*}
  grep -qE "$re" <<<"$dev_files" && ok "/usr/$f in the development package" ||
    fail "/usr/$f is not in the development package"
done

if [ "$kind" = deb ]; then
  # The symbols file went into libcomposefs1 (dpkg-gensymbols -c4 checked it against
  # the library at build time): packages built against us get libcomposefs1 (>= V).
  syms=$([ -n "$lib_pkg" ] && dpkg-deb -I "$lib_pkg" symbols 2>/dev/null)
  n=$(grep -c '^ lcfs_.*@Base ' <<<"$syms")
  [ "$n" = 62 ] && ok "libcomposefs1's symbols file lists the 62 lcfs_* functions" ||
    fail "libcomposefs1's symbols file lists $n lcfs_* functions, not 62"
fi

if "$work/root/usr/bin/mkcomposefs" --help >/dev/null 2>&1 &&
   printf '/ 0 40755 2 0 0 0 0.0 - - -\n' | "$work/root/usr/bin/mkcomposefs" --print-digest-only --from-file - >/dev/null; then
  ok "the packaged mkcomposefs runs"
else
  fail "the packaged mkcomposefs does not run"
fi

if [ "$kind" = deb ]; then
  if command -v lintian >/dev/null 2>&1; then
    changes=$(ls "$work"/out/*.changes | head -n1)
    lintian --pedantic --fail-on error,warning "$changes" >"$work/lintian.log" 2>&1
    rc=$?
    lintian_out=$(grep -v 'running with root privileges' "$work/lintian.log")
    printf '%s\n' "$lintian_out" | grep -v '^$' | sed 's/^/#   lintian: /'
    if [ "$rc" -eq 0 ] && ! grep -qE '^[EW]: ' <<<"$lintian_out"; then
      ok "lintian --pedantic reports no error or warning"
    else
      fail "lintian --pedantic reports errors or warnings (exit $rc)"
    fi
  else
    echo "# lintian not installed: not run"
  fi
fi

if [ $failures -gt 0 ]; then
  echo "# $failures failure(s)"
  exit 1
fi
echo "# all $kind packaging checks passed"
