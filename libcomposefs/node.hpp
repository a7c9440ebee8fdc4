// The C API's node: a reference-counted, freely mutable file entry, as
// composefs-c 1.0.8's struct lcfs_node_s behaves (the struct itself is opaque
// to C callers). The library converts whole trees of these to and from
// cfs::tree::Tree at its boundaries (convert.hpp); nothing else reads them.
#pragma once

#include <cerrno>
#include <cstdint>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include "libcomposefs/lcfs-writer.h"
#include "tree/tree.hpp"

struct lcfs_node_s {
  int ref_count = 1;
  lcfs_node_s* parent = nullptr;          // not a reference
  std::vector<lcfs_node_s*> children;     // owned references, sorted by name (strcmp)
  lcfs_node_s* link_to = nullptr;         // owned reference; set on hardlink entries
  bool link_to_invalid = false;           // make_hardlink saw a cycle; write fails EINVAL

  std::optional<std::string> name;        // set while the node is some directory's child
  std::optional<std::string> payload;     // symlink target or object path
  std::string content;                    // inline data; empty means none
  struct Xattr {
    std::string name;
    std::string value;
  };
  std::vector<Xattr> xattrs;              // in insertion order (unset moves the last one)
  /// C's running estimate of the xattr space, checked against the limits in
  /// set_xattr; matched exactly because it decides which calls fail with ERANGE.
  size_t xattr_size = 0;
  std::optional<cfs::tree::Digest> digest;

  uint32_t mode = 0;
  uint32_t nlink = 1;
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint32_t rdev = 0;  // C keeps 32 bits; rdev64 setters truncate
  uint64_t size = 0;
  int64_t mtime_sec = 0;
  uint32_t mtime_nsec = 0;

  bool is_dir() const { return (mode & S_IFMT) == S_IFDIR; }
};

namespace cfs::capi {

/// Runs `body`, turning any C++ exception into errno (ENOMEM for bad_alloc) and
/// `on_error`: nothing may unwind into C callers.
template <class R, class F>
R guarded(R on_error, F&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    errno = ENOMEM;
  } catch (...) {
    errno = EIO;
  }
  return on_error;
}

/// Copies the numbers that describe an inode between any two of lcfs_node_s and
/// tree::Node, which use the same member names for them.
template <class From, class To>
void copy_inode_numbers(const From& from, To& to) {
  to.mode = from.mode;
  to.nlink = from.nlink;
  to.uid = from.uid;
  to.gid = from.gid;
  to.rdev = from.rdev;
  to.size = from.size;
  to.mtime_sec = from.mtime_sec;
  to.mtime_nsec = from.mtime_nsec;
}

/// Copies what describes an inode (not its place in a tree), strings included.
void copy_inode_fields(const lcfs_node_s& from, cfs::tree::Tree& tree, cfs::tree::Node& to);
void copy_inode_fields(const cfs::tree::Node& from, lcfs_node_s& to);
inline void copy_inode_fields(const lcfs_node_s& from, lcfs_node_s& to) {
  copy_inode_numbers(from, to);
  to.payload = from.payload;
  to.content = from.content;
  to.digest = from.digest;
  to.xattrs = from.xattrs;
}

/// Sets errno and returns -1, the C API's usual failure.
inline int fail(int errnum) {
  errno = errnum;
  return -1;
}

/// The node a chain of hardlinks ends at; nullptr (errno ELOOP) on a cycle.
lcfs_node_s* follow_links(lcfs_node_s* node);

/// Sets an xattr with C's checks; `limit` is the budget for xattr_size.
int set_xattr_limited(lcfs_node_s* node, const char* name, const char* value, size_t value_len,
                      size_t limit);

/// C's estimate of the xattr space one entry takes: twice the 4-byte entry
/// header less one (worst-case alignment), name and value, plus the 12-byte
/// ibody header for an inode's first xattr.
inline size_t xattr_space_estimate(size_t name_len, size_t value_len, bool first) {
  return 2 * LCFS_INODE_XATTRMETA_SIZE - 1 + name_len + value_len + (first ? 12 : 0);
}

/// Budgets: external input (the public setter) and data read from images.
inline constexpr size_t kExternalXattrBudget = LCFS_INODE_EXTERNAL_XATTR_MAX;
inline constexpr size_t kInternalXattrBudget = UINT16_MAX;

/// The SHA-256 fs-verity digest of all of `fd`'s contents, as reading it from
/// offset 0 to its end gives: a regular file through fsverity::digest_of_file
/// (holes not read, big files on all CPUs), anything else read. 0, or -1 with
/// errno ENODATA when reading fails (C's error for it).
int compute_whole_file_digest(uint8_t* digest, int fd);

}  // namespace cfs::capi
