// The image's own fs-verity digest, checked before a composefs-fuse mount
// (`digest=`). Objects are opened by store::ObjectDirs (store/object_dirs.hpp).
#pragma once

#include <string>
#include <string_view>

#include "fsverity/fsverity.hpp"
#include "util/result.hpp"

namespace cfs::fuse {

/// Parses 64 (SHA-256) or 128 (SHA-512) hex digits.
Result<fsverity::Digest> parse_digest(std::string_view hex);

/// Fails unless the file open at `fd` has fs-verity digest `expected` (64 hex
/// digits, or 128 for SHA-512).
Result<void> check_image_digest(int fd, std::string_view expected);

}  // namespace cfs::fuse
