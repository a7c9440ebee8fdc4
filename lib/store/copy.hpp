// Copying a file's contents into the store: shared extents where the filesystem
// can, else the data extents only, so that holes stay holes.
#pragma once

#include <cstdint>

#include "util/result.hpp"

namespace cfs::store {

/// Copies the first `size` bytes of `src` into the empty file `dst` (both from
/// offset 0; file offsets are left anywhere). Tries, in order: a reflink of the
/// whole file; copy_file_range of each data extent (SEEK_DATA / SEEK_HOLE), then
/// ftruncate to `size` so that holes stay holes; pread/write of each extent where
/// copy_file_range is unsupported. A source shorter than `size` fails with EIO.
Result<void> copy_file_contents(int src, int dst, uint64_t size);

}  // namespace cfs::store
