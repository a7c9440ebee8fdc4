// File data stored in the image itself: symlink targets and inline contents.
// Shared by the tree loader and the raw view (the FUSE server).
#include <algorithm>

#include "erofs/reader/image.hpp"

namespace cfs::erofs::reader {
namespace fmt = cfs::format;

namespace {
std::string c_string(std::span<const uint8_t> b) {
  auto nul = std::find(b.begin(), b.end(), uint8_t{0});
  return std::string(b.begin(), nul);
}
}  // namespace

Result<std::string> symlink_target(const Image& img, const Inode& ino) {
  const std::string where = "inode " + std::to_string(ino.nid);
  if (ino.size >= fmt::PATH_MAX_LEN || !ino.flat()) return corrupt(where + ": bad symlink");
  auto raw = ino.tailpacked() ? CFS_TRY(inline_tail(img, ino, ino.size))
                              : CFS_TRY(img.bytes(uint64_t{ino.i_u} * fmt::EROFS_BLKSIZ, ino.size));
  // matches C: the target is a C string; its length becomes the size.
  std::string target = c_string(raw);
  if (target.empty()) return corrupt(where + ": empty symlink target");
  return target;
}

Result<std::string> inline_content(const Image& img, const Inode& ino) {
  constexpr uint64_t kBlock = fmt::EROFS_BLKSIZ;
  const std::string where = "inode " + std::to_string(ino.nid);
  if (ino.size == 0) return std::string();
  if (!ino.flat()) {
    CFS_CHECK(check_chunk_table(img, ino));
    return std::string();
  }
  // Inline content: C caps it at 5000 bytes (and the image size).
  if (ino.size > std::min<uint64_t>(fmt::LCFS_INLINE_CONTENT_MAX, img.size()))
    return corrupt(where + ": inline content too large");
  std::string content;
  if (!ino.tailpacked()) {
    auto data = CFS_TRY(img.bytes(uint64_t{ino.i_u} * kBlock, ino.size));
    content.assign(data.begin(), data.end());
  } else {
    const uint64_t tail = ino.size % kBlock;
    if (tail == 0) return corrupt(where + ": inline layout without an inline tail");
    auto head = CFS_TRY(blocks(img, ino.i_u, ino.size / kBlock));
    auto rest = CFS_TRY(inline_tail(img, ino, tail));
    content.assign(head.begin(), head.end());
    content.append(rest.begin(), rest.end());
  }
  return content;
}

}  // namespace cfs::erofs::reader
