#!/usr/bin/env bash
# check-spec-build.sh SRCDIR WORKDIR
#
# Builds SRCDIR the way composefs-c's own RPM spec builds composefs-c (a
# distribution pointing its existing recipe at our tarball), installs it with
# DESTDIR, and checks that every path composefs-c 1.0.8 installs
# (composefs-c-1.0.8-install.txt) is installed at the same place with the same
# type and mode, and that we add only our extra tools and their man pages. Then the
# same with -Dfuse=disabled: no composefs-fuse, nothing linked with libfuse3, and
# mount.composefs -o fuse says FUSE support was not built.
#
# WORKDIR is a fixed place inside the build directory, so that ccache finds the
# objects of the previous run; it is removed at the end. The -Dfuse=disabled build
# reconfigures the same build directory, so only what that option changes is built
# again. Exits 77 (skipped), with a message, inside a package build.
set -uo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 SRCDIR WORKDIR" >&2
  exit 2
fi
src=$(cd "$1" && pwd)
work=$(realpath -m "$2")
here=$src/tests/packaging
expected_list=$here/composefs-c-1.0.8-install.txt

[ -z "${CFS_IN_PACKAGE_BUILD:-}" ] || { echo "SKIP: running inside a package build"; exit 77; }

failures=0
ok() { echo "ok - $*"; }
fail() { echo "FAIL - $*"; failures=$((failures + 1)); }

rm -rf "$work"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
build=$work/redhat-linux-build

# Fedora's %set_build_flags (redhat-rpm-config) without what only exists on Fedora
# (-specs=...), LTO and -g: they change neither what compiles nor what is installed,
# and leaving out -g keeps ccache's hits independent of the directory.
flags="-O2 -fexceptions -pipe -Wall -Werror=format-security -Wp,-U_FORTIFY_SOURCE,-D_FORTIFY_SOURCE=3"
flags+=" -Wp,-D_GLIBCXX_ASSERTIONS -fstack-protector-strong -fasynchronous-unwind-tables -fstack-clash-protection"
[ "$(uname -m)" != x86_64 ] || flags+=" -fcf-protection"
export CFLAGS=$flags CXXFLAGS=$flags
export LDFLAGS="-Wl,-z,relro -Wl,--as-needed -Wl,-z,now -Wl,--build-id=sha1"

# %meson (Fedora's macros.meson with x86_64's directories), then the spec's options.
spec_setup=(meson setup --buildtype=plain --prefix=/usr --libdir=/usr/lib64 --libexecdir=/usr/libexec
  --bindir=/usr/bin --sbindir=/usr/sbin --includedir=/usr/include --datadir=/usr/share
  --mandir=/usr/share/man --infodir=/usr/share/info --localedir=/usr/share/locale --sysconfdir=/etc
  --localstatedir=/var --sharedstatedir=/var/lib --wrap-mode=nodownload --auto-features=enabled
  --default-library=shared -Dfuse=enabled -Dman=enabled)

run() {  # run LOG CMD...: CMD's output goes to LOG, shown when it fails
  local log=$1; shift
  if "$@" > "$log" 2>&1; then return 0; fi
  fail "$* failed; last lines of its output:"
  tail -n 30 "$log" | sed 's/^/#   /'
  exit 1
}

# listing DESTDIR: "TYPE MODE PATH [TARGET]" for each path, as in the expected list.
listing() {
  (cd "$1" && find . -mindepth 1 -printf '%y %m %p %l\n') | sed -E 's| \./| /|; s/ +$//' | sort -k3
}

# compare_install DESTDIR EXTRA...: C's paths all there, the same; nothing else but EXTRA.
compare_install() {
  local dest=$1; shift
  local ours missing extra allowed
  ours=$(listing "$dest")
  missing=$(grep -v '^#' "$expected_list" | grep -vxF -f <(printf '%s\n' "$ours") || true)
  if [ -z "$missing" ]; then
    ok "all $(grep -vc '^#' "$expected_list") paths composefs-c 1.0.8 installs, same type and mode"
  else
    fail "installed differently from composefs-c 1.0.8 (expected; ours):"
    while read -r _ _ path _; do
      echo "#   C:    $(grep -F " $path" "$expected_list" | awk -v p="$path" '$3 == p')"
      echo "#   ours: $(awk -v p="$path" '$3 == p' <<<"$ours")"
    done <<<"$missing"
  fi
  allowed=$(printf '%s\n' "$@")
  extra=$(awk '{ print $3 }' <<<"$ours" | grep -vxF -f <(grep -v '^#' "$expected_list" | awk '{ print $3 }') |
          grep -vxF -f <(printf '%s\n' "$allowed") || true)
  [ -z "$extra" ] && ok "beyond those only: $(tr '\n' ' ' <<<"$allowed")" ||
    fail "unexpected installed paths: $(tr '\n' ' ' <<<"$extra")"
  for f in "$@"; do
    [ -e "$dest$f" ] || fail "$f is not installed"
  done
}

# needs_fuse DESTDIR: the installed ELF files that link libfuse3.
needs_fuse() {
  local f
  find "$1" -type f | while read -r f; do
    # grep reads all of objdump's output: with pipefail, grep -q's early exit
    # could kill objdump with SIGPIPE and fail the pipeline at random.
    objdump -p "$f" 2>/dev/null | grep 'NEEDED.*libfuse3' >/dev/null && echo "${f#"$1"}"
  done
}

extra_tools=(/usr/bin/composefs-dump /usr/bin/composefs-store
             /usr/share/man/man1/composefs-dump.1 /usr/share/man/man1/composefs-store.1)
fuse_tool=(/usr/bin/composefs-fuse /usr/share/man/man1/composefs-fuse.1)

echo "# composefs-c's spec: %meson --default-library=shared -Dfuse=enabled -Dman=enabled"
start=$SECONDS
run "$work/setup.log" "${spec_setup[@]}" "$src" "$build"
ok "the spec's configure line is accepted"
# The spec has no %check, and our tests run in the rest of the suite: not built here.
run "$work/configure.log" meson configure "$build" -Dtests=false
run "$work/build.log" meson compile -C "$build" -j 2
run "$work/install.log" env DESTDIR="$work/dest" meson install -C "$build" --no-rebuild
ok "built and installed (%meson_build, %meson_install) in $((SECONDS - start)) s"
compare_install "$work/dest" "${extra_tools[@]}" "${fuse_tool[@]}"
# The spec's next line removes the static library: it must be there.
ls "$work"/dest/usr/lib64/libcomposefs*.a > /dev/null 2>&1 && ok "rm -v %{_libdir}/libcomposefs*.a finds it" ||
  fail "no libcomposefs*.a in /usr/lib64 for the spec's rm -v"

# composefs.pc: composefs-c's fields; the static link also needs the C++ runtime.
pc=$work/dest/usr/lib64/pkgconfig/composefs.pc
for line in 'prefix=/usr' 'libdir=${prefix}/lib64' 'includedir=${prefix}/include' 'Name: composefs' \
    'Description: library for generating and using composefs images' 'Requires.private: libcrypto' \
    'Libs: -L${libdir} -lcomposefs' 'Cflags: -I${includedir}'; do
  grep -qxF -- "$line" "$pc" && ok "composefs.pc: $line" || fail "composefs.pc has no line '$line'"
done
grep -qE '^Libs.private: -lstdc\+\+( |$)' "$pc" && ok "composefs.pc: $(grep '^Libs.private' "$pc") (ours only)" ||
  fail "composefs.pc: no Libs.private: -lstdc++ for static links"
grep -qxF "Version: $(sed -nE "s/^ *version *: *'([^']+)'.*/\1/p" "$src/meson.build" | head -n1)" "$pc" &&
  ok "composefs.pc: Version is the project version" || fail "composefs.pc: wrong Version"
[ "$(needs_fuse "$work/dest")" = /usr/bin/composefs-fuse ] && ok "only composefs-fuse links libfuse3" ||
  fail "linked with libfuse3: $(needs_fuse "$work/dest" | tr '\n' ' ')"

echo "# the same with -Dfuse=disabled"
start=$SECONDS
run "$work/configure-nofuse.log" meson configure "$build" -Dfuse=disabled
run "$work/build-nofuse.log" meson compile -C "$build" -j 2
run "$work/install-nofuse.log" env DESTDIR="$work/dest-nofuse" meson install -C "$build" --no-rebuild
ok "built and installed in $((SECONDS - start)) s"
compare_install "$work/dest-nofuse" "${extra_tools[@]}"
grep -q 'Dependency fuse3 skipped: feature fuse disabled' "$build/meson-logs/meson-log.txt" &&
  ok "libfuse3 is not looked for" || fail "meson looked for libfuse3"
! grep -q 'fuse3' "$build/build.ninja" && ok "nothing is compiled or linked with libfuse3" ||
  fail "build.ninja still uses libfuse3"
[ -z "$(needs_fuse "$work/dest-nofuse")" ] && ok "no installed file links libfuse3" ||
  fail "linked with libfuse3: $(needs_fuse "$work/dest-nofuse" | tr '\n' ' ')"
: > "$work/image"
out=$("$work/dest-nofuse/usr/sbin/mount.composefs" -o fuse,basedir=/ "$work/image" "$work" 2>&1)
rc=$?
[ $rc -eq 1 ] && grep -q 'FUSE support was not built' <<<"$out" &&
  ok "mount.composefs -o fuse: '$out'" || fail "mount.composefs -o fuse gave (exit $rc): $out"

if [ $failures -gt 0 ]; then
  echo "# $failures failure(s)"
  exit 1
fi
echo "# composefs-c's spec builds us and installs what composefs-c installs"
