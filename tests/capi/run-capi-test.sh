#!/usr/bin/env bash
# Builds one C API test program against the *installed* library, the way a
# user's program is built, and runs it:
#   run-capi-test.sh NAME BUILD_DIR SOURCE_DIR MKCOMPOSEFS SANITIZE CC [CC_ARGS...]
# The library, headers and composefs.pc are installed with
# `meson install --destdir` into a temporary directory; the program is compiled
# with CC (meson's C compiler for the host machine, the cross compiler in a cross
# build) and `pkg-config --cflags --libs composefs` only.
# NAME: nodes write static load verity build build-tree mount strict symbols. Exit 77 = skipped.
set -euo pipefail
name=$1 build=$2 src=$3 mk=$4 sanitize=$5
cc_cmd=("${@:6}")
here=$src/tests/capi
work=$(mktemp -d)
cleanup() {
  umount -q "$work/mount/mnt" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

dest=$work/dest
meson install -C "$build" --no-rebuild --destdir "$dest" --quiet --tags runtime,devel > /dev/null
pc=$(find "$dest" -name composefs.pc)
[ -n "$pc" ] || { echo "composefs.pc was not installed"; exit 1; }
export PKG_CONFIG_PATH=${pc%/*} PKG_CONFIG_SYSROOT_DIR=$dest
libdir=$(pkg-config --variable=libdir composefs)  # pkgconf applies the sysroot here,
[ -d "$libdir" ] || libdir=$dest$libdir           # classic pkg-config does not
export LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}  # a cross build adds its sysroot

compile() {  # compile NAME [OUT LIBS...]: $work/test-NAME, or OUT linked with LIBS
  [ ${#cc_cmd[@]} -gt 0 ] || { echo "SKIP: meson found no C compiler for the host machine"; exit 77; }
  local src_name=$1 out=${2:-$work/test-$1} san=()
  shift $(($# > 1 ? 2 : 1))
  [ "$sanitize" = none ] || san=(-fsanitize="$sanitize" -fno-sanitize-recover=all)
  local libs=("$@")
  # shellcheck disable=SC2207  # pkg-config output is meant to be split
  [ ${#libs[@]} -gt 0 ] || libs=($(pkg-config --libs composefs))
  # shellcheck disable=SC2046
  "${cc_cmd[@]}" -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror "${san[@]}" -I"$here" \
    $(pkg-config --cflags composefs) "$here/test-$src_name.c" "${libs[@]}" -o "$out"
}

# check_write PROGRAM: its API-built image is mkcomposefs --from-file's, bytes and digest.
check_write() {
  "$1" "$work/api.cfs" > "$work/out"
  cat "$work/out"
  read -r digest version < "$work/out"
  expected=$("$mk" --from-file --print-digest "$here/api-tree.dump" "$work/dump.cfs")
  cmp "$work/api.cfs" "$work/dump.cfs"
  [ "$digest" = "$expected" ] && [ "$version" = 1 ]
  echo "API tree and mkcomposefs --from-file: same image, digest $digest"
}

case $name in
  symbols)
    # exactly the 62 functions of composefs-c 1.0.8, nothing else, soname .so.1
    pkg-config --atleast-version=1.0.8 composefs
    objdump -p "$libdir/libcomposefs.so.1" | grep 'SONAME *libcomposefs\.so\.1$' >/dev/null
    nm -D --defined-only "$libdir/libcomposefs.so.1" | awk '{print $3}' | sort > "$work/exported"
    diff -u "$here/symbols.txt" "$work/exported"
    echo "exports: $(wc -l < "$work/exported") symbols, as expected"
    ;;
  nodes | verity | strict)
    compile "$name"
    "$work/test-$name"
    ;;
  write)
    compile write
    check_write "$work/test-write"
    ;;
  static)
    # libcomposefs.a in a C program, with the libraries `pkg-config --static` names
    # (the C++ runtime, libcrypto): fully static (-static) in the plain build; under
    # the sanitizers (whose runtimes are shared) only libcomposefs is static.
    # shellcheck disable=SC2207
    static_libs=($(pkg-config --static --libs composefs))
    if [ "$sanitize" = none ]; then
      compile write "$work/test-static" -static "${static_libs[@]}"
      ! objdump -p "$work/test-static" | grep NEEDED >/dev/null || { echo "test-static is not fully static"; exit 1; }
    else
      others=()
      for l in "${static_libs[@]}"; do [ "$l" = -lcomposefs ] || others+=("$l"); done
      compile write "$work/test-static" -Wl,-Bstatic -lcomposefs -Wl,-Bdynamic "${others[@]}"
      ! objdump -p "$work/test-static" | grep 'NEEDED.*libcomposefs' >/dev/null || { echo "test-static needs libcomposefs.so"; exit 1; }
    fi
    echo "linked with: ${static_libs[*]}"
    check_write "$work/test-static"
    ;;
  load)
    compile load
    images=()
    for dump in "$src"/tests/golden/upstream/*.dump "$src"/tests/golden/upstream/*.dump.gz; do
      case $dump in *should-fail*) continue ;; esac
      img=$work/$(basename "$dump").cfs
      "$mk" --from-file "$dump" "$img"
      images+=("$img")
    done
    "$work/test-load" "${images[@]}"
    filtered=$("$work/test-load" -f "$work/config.dump.gz.cfs" usr etc no-such-entry | tr '\n' ' ')
    [ "$filtered" = "etc usr " ] || { echo "toplevel_entries gave: $filtered"; exit 1; }
    "$work/test-load" -n "$src"/tests/fuzz/corpus-image/* "$src"/tests/fuzz/regressions/image/*
    echo "${#images[@]} images loaded and rewritten identically; toplevel_entries filter ok"
    ;;
  build)
    compile build
    tree=$work/tree
    mkdir -p "$tree/sub/deeper"
    head -c 64 /dev/urandom > "$tree/f64"
    head -c 65 /dev/urandom > "$tree/f65"
    head -c 100000 /dev/urandom > "$tree/sub/big"
    : > "$tree/empty"
    ln -s f64 "$tree/link"
    mkfifo "$tree/sub/fifo"
    "$work/test-build" "$tree" "$work/api.cfs" > "$work/out"
    cat "$work/out"
    digest=$(grep -E '^[0-9a-f]{64}$' "$work/out")
    "$mk" "$tree" "$work/mk.cfs"
    cmp "$work/api.cfs" "$work/mk.cfs"
    [ "$digest" = "$("$mk" --print-digest-only "$tree")" ]
    echo "lcfs_build and mkcomposefs DIR: same image, digest $digest"
    ;;
  build-tree)
    # lcfs_build over the random-tree oracle's trees gives mkcomposefs DIR's bytes
    compile build-tree
    python3 "$src/tests/oracle/oracle.py" --mkcomposefs "$mk" --lcfs-build "$work/test-build-tree" \
      --seeds "${CFS_ORACLE_CAPI_SEEDS:-$([ "$sanitize" = none ] && echo 1001-1015 || echo 1001-1004)}"
    ;;
  mount)
    compile mount
    mkdir -p "$work/mount"
    "$work/test-mount" "$work/mount"
    ;;
  *)
    echo "unknown test $name" >&2
    exit 2
    ;;
esac
