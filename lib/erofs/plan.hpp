// Internal to the EROFS writer: the image as a list of inodes in BFS order, the
// shared-xattr table and the layout decisions. Built in the order composefs-c
// builds it (C: lcfs_write_erofs_to): rewrite -> compute tree -> share xattrs ->
// place inodes -> emit.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "erofs/writer.hpp"
#include "tree/tree.hpp"
#include "util/arena.hpp"

namespace cfs::erofs::detail {

struct XattrEntry {
  std::string_view name;       // points into the source tree, a constant or Plan::strings
  std::string_view value;      // the value is "/" + value when `slash` is set
  int64_t shared_offset = -1;  // byte offset in the shared table, or -1 when stored inline
  // Set only on the writer's trusted.overlay.redirect, whose value is "/" + the
  // payload: pointing at the tree's payload spares a copy of every object path (a
  // million of them in a large image). Every entry of that name has it set, so two
  // entries of one name are equal exactly when `value`s are.
  bool slash = false;

  size_t value_size() const { return value.size() + (slash ? 1 : 0); }
};

struct Dirent {
  std::string_view name;
  uint32_t inode;  // index into Plan::inodes of the (hardlink-resolved) target
};

struct Inode {
  const tree::Node* node = nullptr;  // source node; nullptr for an automatic root whiteout
  uint32_t mode = 0;
  uint32_t nlink = 1;
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint32_t rdev = 0;
  uint32_t mtime_nsec = 0;
  int64_t mtime_sec = 0;
  uint64_t size = 0;
  std::string_view data;             // symlink target or inline content ("" if none)
  uint32_t xattrs_begin = 0;         // this inode's xattrs: Plan::xattrs[begin, begin + count)
  uint32_t xattrs_count = 0;
  uint32_t dirents_begin = 0;        // directories: Plan::dirents[begin, begin + count),
  uint32_t dirents_count = 0;        //   sorted by name, "." and ".." included

  // Layout (C: compute_erofs_inodes).
  bool compact = true;
  uint8_t n_shared = 0;              // shared-xattr references (at most 128)
  uint16_t tailsize = 0;             // bytes stored inline after the inode and xattrs (<= 4096)
  uint16_t ipad = 0;                 // zero bytes written before the inode (< 4096)
  uint32_t xattr_size = 0;           // xattr area size (< 64 KiB + 512)
  uint32_t n_blocks = 0;             // data blocks owned in the data area (0 or 1, dirs more)
  uint64_t nid = 0;

  uint32_t type() const { return mode & S_IFMT; }
  bool chunk_based() const { return type() == S_IFREG && size > 0 && data.empty(); }
};

struct Plan {
  /// Keeps bytes alive as long as the plan; for xattr names and values the writer makes
  /// (two small strings per file: one heap block each dominated the plan's build).
  std::string_view keep(std::initializer_list<std::string_view> parts) { return strings.keep(parts); }

  std::span<XattrEntry> xattrs_of(const Inode& ino) { return {xattrs.data() + ino.xattrs_begin, ino.xattrs_count}; }
  std::span<const XattrEntry> xattrs_of(const Inode& ino) const {
    return {xattrs.data() + ino.xattrs_begin, ino.xattrs_count};
  }
  std::span<const Dirent> dirents_of(const Inode& ino) const {
    return {dirents.data() + ino.dirents_begin, ino.dirents_count};
  }

  util::Arena strings;
  uint32_t version = 0;
  std::vector<Inode> inodes;                 // BFS order; index == i_ino
  std::vector<XattrEntry> xattrs;            // every inode's xattrs, inode after inode
  std::vector<Dirent> dirents;               // every directory's entries, directory after directory
  std::vector<XattrEntry> shared;            // shared-xattr table, in table order
  uint64_t shared_size = 0;
  int64_t min_mtime_sec = 0;
  uint32_t min_mtime_nsec = 0;
  bool has_acl = false;
  uint64_t inodes_end = 0;                   // end of the inode area, 32-aligned
  uint64_t n_data_blocks = 0;
};

/// Chunk size bits and count for a chunk-based file (C: erofs_compute_chunking).
void compute_chunking(uint64_t size, uint32_t& chunkbits, uint64_t& chunk_count);

/// Version choice, overlay rewrites, root whiteouts, BFS numbering, nlink, xattr order.
Result<Plan> build_plan(const tree::Tree& tree, const WriteOptions& options);
/// Shared-xattr table (C: compute_erofs_shared_xattrs).
void share_xattrs(Plan& plan);
/// Inode sizes, padding and nids (C: compute_erofs_inodes).
void place_inodes(Plan& plan);
/// Writes the bytes.
Result<uint64_t> emit_image(const Plan& plan, Sink& sink);

}  // namespace cfs::erofs::detail

namespace cfs::erofs::detail {
/// On-disk size of one xattr entry, padded to 4 bytes.
uint64_t xattr_entry_size(const XattrEntry& x);
/// EROFS prefix index of a full xattr name; `suffix` receives the rest of the name.
uint8_t xattr_prefix(std::string_view name, std::string_view& suffix);
}  // namespace cfs::erofs::detail
