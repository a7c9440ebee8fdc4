// The tree walk (C: lcfs_build_node_from_image / erofs_readdir_block): depth first
// in on-disk entry order, so the first name reaching an inode owns it and later
// names become hardlink entries, exactly as in C.
#include "erofs/reader/reader.hpp"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "erofs/reader/decode.hpp"

namespace cfs::erofs {
namespace fmt = cfs::format;
using reader::corrupt;
using reader::Image;
using reader::Inode;
using tree::Node;

namespace {

constexpr uint64_t kDirentCost = 32;  // budget charged per entry visited (bounds work)

// Iterative depth-first walk: an explicit stack of open directories instead of
// recursion, so a deep (or hostile) image cannot exhaust the C++ stack.
class Loader {
 public:
  Loader(const Image& img, tree::Tree& tree, uint64_t budget) : img_(img), tree_(tree), budget_(budget) {}

  Result<Node*> load_tree(const std::vector<std::string>& filter);

 private:
  struct Seen {
    Node* node;
    uint32_t image_type;  // type as stored, before a whiteout marker is undone
  };
  struct OpenDir {
    Node* dir;
    uint64_t nid;
    uint64_t parent_nid;
    std::vector<reader::RawDirent> entries;
    size_t next = 0;
  };

  Result<Node*> visit(uint64_t nid, uint64_t parent_nid, uint8_t file_type);
  Result<void> open_dir(const Inode& ino, Node& dir, uint64_t parent_nid);
  Result<Node*> next_child(OpenDir& d, const std::unordered_set<std::string_view>* filter);
  Result<void> load_data(const Inode& ino, Node& node);
  Result<Node*> hardlink_to(const Seen& seen, uint64_t nid, uint8_t file_type);

  const Image& img_;
  tree::Tree& tree_;
  reader::Budget budget_;
  std::unordered_map<uint64_t, Seen> seen_;
  std::vector<OpenDir> stack_;
};

Result<Node*> Loader::load_tree(const std::vector<std::string>& filter) {
  std::unordered_set<std::string_view> names(filter.begin(), filter.end());
  // C would accept any root type; a composefs root is always a directory.
  Node* root = CFS_TRY(visit(img_.root_nid(), img_.root_nid(), fmt::EROFS_FT_DIR));
  if (!root) return corrupt("the root is a whiteout");
  while (!stack_.empty()) {
    OpenDir& top = stack_.back();
    if (top.next == top.entries.size()) {
      stack_.pop_back();
      continue;
    }
    // The filter applies to the root's entries only (C: toplevel_entries).
    const bool at_root = stack_.size() == 1 && !filter.empty();
    Node* dir = top.dir;
    Node* child = CFS_TRY(next_child(top, at_root ? &names : nullptr));  // may push: `top` dangles
    if (!child) continue;
    child->parent = dir;
    dir->children.push_back(child);  // entries are checked to be sorted and unique
  }
  return root;
}

// The next entry of `d` that becomes a node, or nullptr for one that does not.
Result<Node*> Loader::next_child(OpenDir& d, const std::unordered_set<std::string_view>* filter) {
  const reader::RawDirent e = d.entries[d.next++];
  CFS_CHECK(budget_.take(kDirentCost + e.name.size()));
  if (e.name == "." || e.name == "..") {
    if (e.nid != (e.name == "." ? d.nid : d.parent_nid))
      return corrupt("directory inode " + std::to_string(d.nid) + ": wrong '" + std::string(e.name) + "' entry");
    return nullptr;
  }
  if (filter && !filter->contains(e.name)) return nullptr;
  Node* child = CFS_TRY(visit(e.nid, d.nid, e.file_type));
  if (child) child->name = tree_.keep(e.name);
  return child;
}

// matches C: an inode met again becomes a hardlink entry (a new node with link_to),
// a directory too (the C API can write a hardlink to a directory, and so can we):
// the entry is not descended into, so even a link to an ancestor cannot loop.
Result<Node*> Loader::hardlink_to(const Seen& seen, uint64_t nid, uint8_t file_type) {
  if (file_type != fmt::erofs_file_type(seen.image_type))
    return corrupt("inode " + std::to_string(nid) + ": directory entry type does not match the inode");
  CFS_CHECK(budget_.take(sizeof(Node)));
  Node* link = tree_.new_node();
  link->link_to = seen.node;
  return link;
}

// Builds the node of inode `nid` (a directory's entries are queued on the stack).
// Returns nullptr for an entry to skip: a stored whiteout (character device 0:0),
// which only the writer's automatic 00-ff root entries are. (User whiteouts are
// stored as regular files with a marker xattr and come back through that.)
Result<Node*> Loader::visit(uint64_t nid, uint64_t parent_nid, uint8_t file_type) {
  if (auto it = seen_.find(nid); it != seen_.end()) return hardlink_to(it->second, nid, file_type);
  Inode ino = CFS_TRY(reader::read_inode(img_, nid));
  if (file_type != fmt::erofs_file_type(ino.mode))
    return corrupt("inode " + std::to_string(nid) + ": directory entry type does not match the inode");
  if (ino.type() == S_IFCHR && ino.i_u == 0) {
    // matches C: a hardlinked whiteout is rejected rather than skipped.
    if (ino.nlink > 1) return corrupt("inode " + std::to_string(nid) + ": whiteout with nlink > 1");
    return nullptr;
  }
  CFS_CHECK(budget_.take(sizeof(Node)));
  Node* node = tree_.new_node();
  node->mode = ino.mode;
  node->nlink = ino.nlink;
  node->uid = ino.uid;
  node->gid = ino.gid;
  node->size = ino.size;
  node->mtime_sec = ino.mtime_sec;
  node->mtime_nsec = ino.mtime_nsec;
  if (ino.type() == S_IFCHR || ino.type() == S_IFBLK) node->rdev = ino.i_u;
  seen_.emplace(nid, Seen{node, ino.type()});
  if (ino.type() == S_IFDIR)
    CFS_CHECK(open_dir(ino, *node, parent_nid));
  else
    CFS_CHECK(load_data(ino, *node));
  // C decodes a directory's xattrs after its children; the order is not visible.
  CFS_CHECK(reader::decode_xattrs(img_, ino, tree_, *node, budget_));
  return node;
}

Result<void> Loader::open_dir(const Inode& ino, Node& dir, uint64_t parent_nid) {
  // The root is depth 0 and is visited with an empty stack.
  if (stack_.size() >= kMaxDirectoryDepth) return make_error(ELOOP, "directories nested too deep");
  auto entries = CFS_TRY(reader::read_dirents(img_, ino));
  // Distinct directories may share dirent blocks: charge the copy of the entries.
  CFS_CHECK(budget_.take(entries.size() * sizeof(reader::RawDirent)));
  stack_.push_back(OpenDir{&dir, ino.nid, parent_nid, std::move(entries)});
  return {};
}

Result<void> Loader::load_data(const Inode& ino, Node& node) {
  if (ino.type() == S_IFLNK) {
    node.payload = tree_.keep(CFS_TRY(reader::symlink_target(img_, ino)));
    node.size = node.payload->size();
    return budget_.take(node.size);
  }
  if (ino.type() != S_IFREG) return {};
  node.content = tree_.keep(CFS_TRY(reader::inline_content(img_, ino)));
  return budget_.take(node.content.size());
}

}  // namespace

Result<tree::Tree> read_image(std::span<const uint8_t> image, const ReadOptions& options) {
  if (image.size() > kMaxImageSize) return make_error(EFBIG, "image larger than 1 GiB");
  Image img = CFS_TRY(Image::open(image));
  uint64_t budget = options.max_decoded_bytes ? options.max_decoded_bytes : (uint64_t{256} << 20) + 32 * image.size();
  tree::Tree tree;
  Loader loader(img, tree, budget);
  Node* root = CFS_TRY(loader.load_tree(options.filter));
  tree.set_root(root);
  return tree;
}

Result<uint32_t> read_image_version(std::span<const uint8_t> image) {
  Image img = CFS_TRY(Image::open(image));
  return img.composefs_version();
}

}  // namespace cfs::erofs
