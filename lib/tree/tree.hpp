// The in-memory filesystem tree every tool works on: the dump parser and the
// directory scanner build it, the EROFS writer consumes it, the reader produces it.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <vector>

namespace cfs::tree {

using Digest = std::array<uint8_t, 32>;

/// One extended attribute: full name ("user.foo") and raw value (may hold NULs).
struct Xattr {
  std::string name;
  std::string value;
  bool operator==(const Xattr&) const = default;
};

/// A file, directory or hardlink entry.
///
/// A hardlink entry has `link_to` set: it is a directory entry only, with no inode
/// of its own, and every other field of it is meaningless. `link_to` always points
/// at a node that is not itself a hardlink entry.
struct Node {
  std::string name;            // empty for the root
  Node* parent = nullptr;      // nullptr for the root
  Node* link_to = nullptr;     // hardlink entries only

  uint32_t mode = 0;           // S_IFMT type and permission bits (only the low 16 reach disk)
  uint32_t nlink = 1;          // as recorded; directories are recomputed by the writer
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint32_t rdev = 0;           // devices only; glibc dev_t encoding truncated to 32 bits
  uint64_t size = 0;           // st_size; for symlinks the target length
  int64_t mtime_sec = 0;
  uint32_t mtime_nsec = 0;

  std::optional<std::string> payload;  // symlink target, or backing-file path for regular files
  std::string content;                 // inline file data; empty means none
  std::optional<Digest> digest;        // fs-verity digest of the backing file
  std::vector<Xattr> xattrs;
  std::vector<Node*> children;         // directories: sorted by name (bytewise) once built

  uint32_t type() const { return mode & S_IFMT; }
  bool is_dir() const { return type() == S_IFDIR; }
  bool is_hardlink() const { return link_to != nullptr; }
  bool is_whiteout() const;
  /// The node whose inode this entry shows (itself unless a hardlink entry).
  const Node& target() const { return link_to ? *link_to : *this; }

  const Xattr* find_xattr(std::string_view name) const;
  /// Sets xattr `name` as C's lcfs_node_set_xattr does: an earlier value of the
  /// same name is removed first (the last xattr moves into its slot, C's order)
  /// and the new pair is appended. Returns the replaced xattr, if there was one.
  std::optional<Xattr> set_xattr(std::string name, std::string value);
};

/// An overlayfs whiteout: a character device whose rdev (truncated to 32 bits) is 0.
inline bool is_whiteout(uint32_t mode, uint32_t rdev) { return (mode & S_IFMT) == S_IFCHR && rdev == 0; }

/// True for the seven file types composefs images can hold.
bool is_valid_file_type(uint32_t mode);

inline bool Node::is_whiteout() const { return tree::is_whiteout(mode, rdev); }

/// Owns every node. Nodes never move once created, so Node* stays valid.
class Tree {
 public:
  Tree() = default;
  Tree(Tree&&) = default;
  Tree& operator=(Tree&&) = default;
  Tree(const Tree&) = delete;
  Tree& operator=(const Tree&) = delete;

  /// A new detached node.
  Node* new_node() { return &nodes_.emplace_back(); }
  Node* root() const { return root_; }
  void set_root(Node* root) { root_ = root; }
  size_t node_count() const { return nodes_.size(); }

  /// Sorts every directory's children by name (bytewise, like strcmp).
  void sort_children();

  /// Child of `dir` named `name` (binary search; children must be sorted).
  static Node* lookup_child(const Node& dir, std::string_view name);

  /// "/a/b" for a node ("/" for the root).
  static std::string path_of(const Node& node);

 private:
  std::deque<Node> nodes_;
  Node* root_ = nullptr;
};

}  // namespace cfs::tree
