// The object directories (basedirs) a composefs-fuse mount reads file data
// from, and the checks done on that data: the image's own digest before the
// mount, each object's fs-verity digest on first open with `verity`.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "fsverity/fsverity.hpp"
#include "util/result.hpp"
#include "util/unique_fd.hpp"

namespace cfs::fuse {

class Objects {
 public:
  /// Opens every directory (O_PATH); fails naming the first one that cannot be.
  static Result<Objects> open(const std::vector<std::string>& dirs);

  /// Opens `path` (relative, "xx/yyyy...") read-only in the first directory
  /// that has it, as overlayfs searches its data-only layers in order.
  Result<UniqueFd> open_object(std::string_view path) const;

 private:
  std::vector<UniqueFd> dirs_;
  std::vector<std::string> names_;
};

/// Parses 64 (SHA-256) or 128 (SHA-512) hex digits.
Result<fsverity::Digest> parse_digest(std::string_view hex);

/// Fails unless the file open at `fd` has fs-verity digest `expected` (64 hex
/// digits, or 128 for SHA-512).
Result<void> check_image_digest(int fd, std::string_view expected);

}  // namespace cfs::fuse
