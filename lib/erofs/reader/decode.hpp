// Internal to the reader: decoding an inode's xattrs and directory entries.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "erofs/reader/image.hpp"
#include "tree/tree.hpp"

namespace cfs::erofs::reader {

/// Caps the memory a hostile image can make the reader allocate: shared xattrs
/// and hardlinks let a small image name the same bytes many times.
class Budget {
 public:
  explicit Budget(uint64_t bytes) : left_(bytes) {}
  Result<void> take(uint64_t bytes) {
    if (bytes > left_) return make_error(E2BIG, "image expands to too much data");
    left_ -= bytes;
    return {};
  }

 private:
  uint64_t left_;
};

/// Reads the inline then the shared xattrs of `ino` into `node`, undoing what the
/// writer added for overlayfs (payload, digest, whiteouts, escaped names).
Result<void> decode_xattrs(const Image& img, const Inode& ino, tree::Tree& tree, tree::Node& node, Budget& budget);

/// One xattr as stored: full name ("trusted.overlay.overlay.x" stays escaped),
/// value pointing into the image.
struct StoredXattr {
  std::string name;
  std::span<const uint8_t> value;
};

/// The xattrs of `ino` exactly as stored (inline, then shared), nothing undone.
Result<std::vector<StoredXattr>> stored_xattrs(const Image& img, const Inode& ino);

/// One directory entry; `name` points into the image.
struct RawDirent {
  std::string_view name;
  uint64_t nid = 0;
  uint8_t file_type = 0;
};

/// All entries of directory `ino` in on-disk order (dirent blocks, then the inline
/// tail), checked: name offsets increasing and inside their block, names non-empty,
/// at most 255 bytes, no '/' or NUL.
Result<std::vector<RawDirent>> read_dirents(const Image& img, const Inode& ino);

}  // namespace cfs::erofs::reader
