// The in-memory filesystem tree every tool works on: the dump parser and the
// directory scanner build it, the EROFS writer consumes it, the reader produces it.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <vector>

#include "format/digest.hpp"
#include "util/arena.hpp"

namespace cfs::tree {

using Digest = format::Digest;  // SHA-256 or SHA-512
using util::Str;                // bytes kept by the Tree's arena (Tree::keep, Tree::intern)

/// One extended attribute: full name ("user.foo") and raw value (may hold NULs).
struct Xattr {
  Str name;
  Str value;
  bool operator==(const Xattr&) const = default;
};

/// A file, directory or hardlink entry.
///
/// A hardlink entry has `link_to` set: it is a directory entry only, with no inode
/// of its own, and every other field of it is meaningless. `link_to` always points
/// at a node that is not itself a hardlink entry.
///
/// Strings and digests live in the owning Tree's arena (a million-entry tree is
/// ~170 bytes per node plus its bytes, instead of a heap block per string).
struct Node {
  Str name;                    // empty for the root
  Node* parent = nullptr;      // nullptr for the root
  Node* link_to = nullptr;     // hardlink entries only

  uint32_t mode = 0;           // S_IFMT type and permission bits (only the low 16 reach disk)
  uint32_t nlink = 1;          // as recorded; directories are recomputed by the writer
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint32_t rdev = 0;           // devices only; glibc dev_t encoding truncated to 32 bits
  uint32_t mtime_nsec = 0;
  int64_t mtime_sec = 0;
  uint64_t size = 0;           // st_size; for symlinks the target length

  std::optional<Str> payload;     // symlink target, or backing-file path for regular files
  Str content;                    // inline file data; empty means none
  const Digest* digest = nullptr; // fs-verity digest of the backing file (Tree::keep)
  std::vector<Xattr> xattrs;
  std::vector<Node*> children;    // directories: sorted by name (bytewise) once built

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
  std::optional<Xattr> set_xattr(Str name, Str value);
};

/// An xattr whose name and value are interned in `arena`.
inline Xattr keep_xattr(util::SharedArena& arena, std::string_view name, std::string_view value) {
  return {arena.intern(name), arena.intern(value)};
}

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

  /// Copies bytes into the tree's arena (thread-safe: scanner threads fill nodes).
  Str keep(std::string_view s) { return strings_->keep(s); }
  Str keep(std::initializer_list<std::string_view> parts) { return strings_->keep(parts); }
  /// Like keep, but equal strings share one copy: for xattr names and values.
  Str intern(std::string_view s) { return strings_->intern(s); }
  const Digest* keep(const Digest& d) { return strings_->keep_value(d); }
  /// Interned copy of an xattr.
  Xattr keep_xattr(std::string_view name, std::string_view value) { return tree::keep_xattr(*strings_, name, value); }
  /// The arena behind keep and intern. It stays at its address when the Tree is
  /// moved, so threads still filling nodes of a returned tree may hold it.
  util::SharedArena& strings() const { return *strings_; }
  Node* root() const { return root_; }
  /// Frees every node (the tree is then empty); the bytes kept by keep/intern stay.
  /// For a writer done with the nodes but still pointing at their strings.
  void drop_nodes() {
    std::deque<Node>().swap(nodes_);
    root_ = nullptr;
  }
  void set_root(Node* root) { root_ = root; }
  size_t node_count() const { return nodes_.size(); }

  /// Sorts every directory's children by name (bytewise, like strcmp).
  void sort_children();

  /// Child of `dir` named `name` (binary search; children must be sorted).
  static Node* lookup_child(const Node& dir, std::string_view name);

  /// "/a/b" for a node ("/" for the root).
  static std::string path_of(const Node& node);

  /// The algorithm of the first digest a node holds (images name objects of one
  /// algorithm), if any node has one.
  std::optional<format::HashAlg> digest_alg() const;

 private:
  std::unique_ptr<util::SharedArena> strings_ = std::make_unique<util::SharedArena>();
  std::deque<Node> nodes_;
  Node* root_ = nullptr;
};

}  // namespace cfs::tree
