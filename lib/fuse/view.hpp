// What a kernel mount of a composefs image (EROFS under overlayfs, the object
// directories as data-only layers) shows, computed from the image alone, for a
// user-space server (composefs-fuse). The image is immutable, so the whole
// directory structure is indexed once, up front: every later lookup is one hash
// probe and every readdir a slice of one array. File data, symlink targets and
// xattrs are read from the image on demand (never cached: a hostile image could
// make many inodes name the same large blocks).
//
// The overlayfs rules reproduced (fs/overlayfs, trusted.overlay.* namespace):
//   - a stored whiteout (character device 0:0; the writer's 00..ff root entries)
//     is hidden;
//   - trusted.overlay.overlay.X (an escaped user xattr) reads as trusted.overlay.X,
//     every other trusted.overlay.* (metacopy, redirect, opaque) is hidden;
//   - a regular file with trusted.overlay.redirect takes its data from that path
//     under the object directories (the first that has it), its size from the image.
// User whiteouts are stored by the writer as empty regular files with escaped
// markers, so they show, as in the kernel mount, as such files.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "erofs/reader/image.hpp"
#include "fsverity/fsverity.hpp"
#include "util/result.hpp"

namespace cfs::fuse {

/// One name in a directory.
struct Entry {
  std::string_view name;  // points into the image
  uint32_t ino = 0;
};

/// One inode as the mount shows it. Inode numbers index View::node().
struct FileNode {
  erofs::reader::Inode stored;   // the image's inode (attributes, data location)
  uint32_t parent = 0;           // the directory of the first name (of ".." for directories)
  uint32_t position = 0;         // index of the first name among the parent's entries
  uint32_t first = 0;            // directories: entries [first, first + count)
  uint32_t count = 0;
  std::string_view redirect;     // regular files: object path ("xx/yyyy..."), empty if none
  std::optional<fsverity::Digest> digest;  // from trusted.overlay.metacopy

  uint32_t type() const { return stored.type(); }
  /// st_rdev for devices: the kernel's new_encode_dev form, which is what is stored.
  uint32_t rdev() const { return type() == S_IFCHR || type() == S_IFBLK ? stored.i_u : 0; }
};

/// One xattr as the mount shows it: name after overlayfs's unescaping, value in the image.
struct ShownXattr {
  std::string name;
  std::span<const uint8_t> value;
};

class View {
 public:
  static constexpr uint32_t kRoot = 1;  // FUSE_ROOT_ID

  /// Indexes every directory of `image` (which must outlive the View). Fails,
  /// with EINVAL and a message, on anything corrupt: bad inodes or entries,
  /// a directory reached twice (a cycle), more entries than the image can hold.
  static Result<View> build(std::span<const uint8_t> image);

  /// The node of inode `ino`, or nullptr when no such inode was handed out.
  const FileNode* node(uint64_t ino) const {
    return ino >= kRoot && ino < nodes_.size() ? &nodes_[ino] : nullptr;
  }
  /// The inode of `name` in directory `dir`, or 0.
  uint32_t lookup(uint32_t dir, std::string_view name) const;
  std::span<const Entry> entries(const FileNode& dir) const {
    return std::span<const Entry>(entries_).subspan(dir.first, dir.count);
  }
  size_t inode_count() const { return nodes_.size() - 1; }
  /// True when the image says some inode has a POSIX ACL (LCFS_EROFS_FLAGS_HAS_ACL).
  bool has_acl() const;

  Result<std::string> symlink_target(const FileNode& n) const;
  /// The file's data kept in the image (no redirect): inline or flat blocks;
  /// empty for a chunk-based file, which reads as zeros (a hole, as in EROFS).
  Result<std::string> stored_data(const FileNode& n) const;
  /// The xattrs the mount lists, in the kernel's order (inline, then shared).
  Result<std::vector<ShownXattr>> xattrs(const FileNode& n) const;

 private:
  struct Key {
    uint32_t dir;
    std::string_view name;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const noexcept {
      return std::hash<std::string_view>()(k.name) ^ (size_t{k.dir} * 0x9e3779b97f4a7c15ULL);
    }
  };
  class Builder;

  explicit View(erofs::reader::Image img) : img_(img) {}

  erofs::reader::Image img_;
  std::vector<FileNode> nodes_;   // [0] unused: inode numbers start at kRoot
  std::vector<Entry> entries_;
  std::unordered_map<Key, uint32_t, KeyHash> index_;
};

/// The overlayfs name of a stored xattr, or nullopt when overlayfs hides it.
std::optional<std::string> shown_xattr_name(std::string_view stored);

}  // namespace cfs::fuse
