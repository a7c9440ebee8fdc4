// One inode -> dump::EntryView, decoded exactly as erofs::read_image decodes it
// into a tree::Node (same checks, same error messages, same decode budget), but
// into reusable buffers and views into the image instead of a tree.
#pragma once

#include <deque>
#include <string>
#include <vector>

#include "dump/entry.hpp"
#include "erofs/reader/decode.hpp"
#include "erofs/reader/image.hpp"

namespace cfs::stream {

using erofs::reader::Budget;
using erofs::reader::Image;
using erofs::reader::Inode;

/// Decodes inodes one at a time; the view of one decode stays valid until the next.
class EntryDecoder {
 public:
  /// The printed fields of `ino`: symlink target or inline content, then the
  /// xattrs in C's order with the writer's overlayfs rewrite undone (redirect ->
  /// payload, metacopy -> digest, escaped whiteout -> 0:0 character device,
  /// trusted.overlay.overlay.* -> trusted.overlay.*, markers dropped). With a
  /// budget, charges it as read_image would for the node's data and xattrs.
  /// Without `keep_xattrs` (a listing that does not print them, of an image
  /// already checked) the xattr list stays empty: payload, digest and whiteouts
  /// are still decoded, but C's checks on the list (ERANGE) are not made.
  Result<dump::EntryView> decode(const Image& img, const Inode& ino, Budget* budget, bool keep_xattrs = true);

 private:
  struct Stored;  // one xattr as stored (defined in decode_entry.cpp)
  Result<void> load_data(const Image& img, const Inode& ino, Budget* budget);
  Result<void> load_xattrs(const Image& img, const Inode& ino, Budget* budget);
  Result<void> apply(const Image& img, Stored& x);
  struct Joined;  // a name as prefix + suffix
  Result<void> set_xattr(std::string_view prefix, std::string_view suffix, std::string_view value);

  dump::EntryView view_;
  std::string content_scratch_;          // inline content split over a block and the tail
  std::deque<std::string> names_;         // xattr names (unescaped); a deque: views stay valid as it grows
  std::vector<dump::XattrView> xattrs_;
  std::string name_scratch_;
  uint64_t xattr_accounted_ = 0;          // C's running xattr size estimate
  bool keep_xattrs_ = true;
};

}  // namespace cfs::stream
