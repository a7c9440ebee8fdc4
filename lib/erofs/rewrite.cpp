// Plan building: choose the format version, number the inodes in BFS order, apply
// the overlayfs rewrites and add the root whiteouts, as composefs-c does before it
// lays anything out (C: lcfs_write_update_version, rewrite_tree_for_erofs,
// lcfs_compute_tree).
#include <algorithm>
#include <array>
#include <bit>
#include <deque>
#include <optional>
#include <unordered_map>

#include "erofs/plan.hpp"
#include "format/composefs.hpp"
#include "format/erofs_fs.hpp"

namespace cfs::erofs::detail {
namespace {

using tree::Node;
namespace fmt = cfs::format;

const std::array<std::string, 256>& hex_names() {
  static const std::array<std::string, 256> names = [] {
    std::array<std::string, 256> n;
    const char* digits = "0123456789abcdef";
    for (int i = 0; i < 256; ++i) n[i] = {digits[i >> 4], digits[i & 15]};
    return n;
  }();
  return names;
}

bool dirent_less(const Dirent& a, const Dirent& b) { return a.name < b.name; }

// A directory entry before numbering: a source node (possibly a hardlink entry), or
// one of the automatic root whiteouts (node == nullptr, whiteout = its index 0-255).
struct ChildEntry {
  std::string_view name;
  const Node* node;
  int whiteout;
};

// The children of `dir`, sorted by name; for the root, merged with the whiteouts
// "00".."ff" that no user entry shadows (C: add_overlay_whiteouts).
std::vector<ChildEntry> child_entries(const Node& dir, bool is_root) {
  std::vector<ChildEntry> out;
  out.reserve(dir.children.size() + (is_root ? 256 : 0) + 2);
  for (const Node* c : dir.children) out.push_back({c->name, c, -1});
  if (!is_root) return out;
  for (int i = 0; i < 256; ++i)
    if (!tree::Tree::lookup_child(dir, hex_names()[i])) out.push_back({hex_names()[i], nullptr, i});
  std::sort(out.begin(), out.end(), [](const ChildEntry& a, const ChildEntry& b) { return a.name < b.name; });
  return out;
}

// C: lcfs_write_update_version — a whiteout anywhere (not behind a hardlink) needs v1.
bool tree_has_whiteout(const tree::Tree& tree) {
  std::vector<const Node*> stack{tree.root()};
  while (!stack.empty()) {
    const Node* n = stack.back();
    stack.pop_back();
    if (n->is_whiteout()) return true;
    for (const Node* c : n->children)
      if (!c->is_hardlink()) stack.push_back(c);
  }
  return false;
}

// One inode's xattr list while it is built, with C's size accounting
// (lcfs_node_set_xattr, from_external_input), which restarts at 0 on the writer's
// clone and wraps like size_t when an existing value is replaced. We match it
// because its overflow decides whether C fails (ERANGE). `name` and `value` must
// outlive the plan (constants, source strings or Plan::keep).
class XattrBuilder {
 public:
  explicit XattrBuilder(std::vector<XattrEntry>& list) : list_(list) { list_.clear(); }
  Result<void> set(std::string_view name, std::string_view value) { return set(XattrEntry{name, value}); }
  Result<void> set(const XattrEntry& x) {
    constexpr uint64_t kMeta = 2 * fmt::LCFS_INODE_XATTRMETA_SIZE - 1;
    auto it = std::find_if(list_.begin(), list_.end(), [&](const XattrEntry& e) { return e.name == x.name; });
    if (it != list_.end()) {
      uint64_t old = kMeta + x.name.size() + it->value_size();
      list_.erase(it);
      budget_ = list_.empty() ? 0 : budget_ - old;
    }
    uint64_t entry = kMeta + x.name.size() + x.value_size() + (list_.empty() ? fmt::LCFS_XATTR_HEADER_SIZE : 0);
    if (budget_ + entry > fmt::LCFS_INODE_EXTERNAL_XATTR_MAX)
      return make_error(ERANGE, "xattrs too large after adding " + std::string(x.name));
    list_.push_back(x);
    budget_ += entry;
    return {};
  }
  std::vector<XattrEntry>& entries() { return list_; }
  /// The source node's own xattrs, before any set() (C copies them unaccounted).
  void add_source(const tree::Node& n) {
    for (const auto& x : n.xattrs) list_.push_back({x.name, x.value});
  }

 private:
  std::vector<XattrEntry>& list_;
  uint64_t budget_ = 0;
};

class PlanBuilder {
 public:
  PlanBuilder(const tree::Tree& tree, Plan& plan) : tree_(tree), plan_(plan) {}
  Result<void> build();

 private:
  struct LinkEntry {
    uint32_t dir;           // inode index of the directory holding the entry
    std::string_view name;  // the entry's name
    const Node* target;     // the inode it shows
    const Node* entry;      // the hardlink entry, for messages
  };
  static constexpr uint32_t kUnresolved = UINT32_MAX;

  void number_inodes();
  Result<void> resolve_links();
  void count_whiteout_children();
  Result<void> build_xattrs(uint32_t index);
  Result<void> rewrite(uint32_t index, XattrBuilder& xattrs);
  Result<void> add_parent_markers(uint32_t index, XattrBuilder& xattrs);
  Result<void> make_root_whiteout(uint32_t index, XattrBuilder& xattrs);
  void finish_inodes();
  Inode make_inode(const Node& n) const;

  const tree::Tree& tree_;
  Plan& plan_;
  std::vector<LinkEntry> links_;              // hardlink entries to resolve
  std::vector<uint32_t> parent_;              // inode index -> parent inode index
  std::vector<uint32_t> whiteout_children_;   // inode index -> whiteout inodes below it
  std::vector<XattrEntry> scratch_;           // the xattrs of the inode being built
  std::optional<XattrEntry> root_selinux_;    // copied to the automatic root whiteouts
};

Inode PlanBuilder::make_inode(const Node& n) const {
  Inode ino;
  ino.node = &n;
  ino.mode = n.mode;
  ino.nlink = n.nlink;
  ino.uid = n.uid;
  ino.gid = n.gid;
  ino.rdev = n.rdev;
  ino.size = n.size;
  ino.mtime_sec = n.mtime_sec;
  ino.mtime_nsec = n.mtime_nsec;
  if (n.type() == S_IFLNK && n.payload) ino.data = *n.payload;
  if (n.type() == S_IFREG) ino.data = n.content;
  return ino;
}

// C: lcfs_compute_tree's BFS queue: the root, then each directory's non-hardlink
// children in name order. Directory entries are made on the way; those of hardlink
// entries point at inodes that may not be numbered yet and are resolved afterwards.
void PlanBuilder::number_inodes() {
  const Node& root = *tree_.root();
  // Upper bounds, so no array is ever copied to grow: capacity that is never used
  // costs address space, not memory (pages are touched only when written).
  const size_t max_inodes = tree_.node_count() + 256;
  plan_.inodes.reserve(max_inodes);
  parent_.reserve(max_inodes);
  plan_.dirents.reserve(3 * max_inodes);  // every entry once, plus "." and ".." per directory
  plan_.inodes.push_back(make_inode(root));
  parent_.push_back(0);
  std::vector<Dirent> dirents;
  for (uint32_t i = 0; i < plan_.inodes.size(); ++i) {
    const Node* n = plan_.inodes[i].node;
    if (!n || !n->is_dir()) continue;
    auto entries = child_entries(*n, i == 0);
    dirents.clear();
    for (const ChildEntry& e : entries) {
      auto idx = static_cast<uint32_t>(plan_.inodes.size());
      if (e.node && e.node->is_hardlink()) {
        links_.push_back({i, e.name, &e.node->target(), e.node});
        idx = kUnresolved;
      } else if (e.node) {
        plan_.inodes.push_back(make_inode(*e.node));
        parent_.push_back(i);
      } else {
        plan_.inodes.emplace_back();  // an automatic root whiteout, made in build_xattrs
        parent_.push_back(i);
      }
      dirents.push_back({e.name, idx});
    }
    // "." and ".." go where their names sort (C keeps them in the same name-ordered
    // child list, so " x" or "-x" come before them).
    for (Dirent d : {Dirent{".", i}, Dirent{"..", parent_[i]}})
      dirents.insert(std::lower_bound(dirents.begin(), dirents.end(), d, dirent_less), d);
    plan_.inodes[i].dirents_begin = static_cast<uint32_t>(plan_.dirents.size());
    plan_.inodes[i].dirents_count = static_cast<uint32_t>(dirents.size());
    plan_.dirents.insert(plan_.dirents.end(), dirents.begin(), dirents.end());
  }
}

// Points hardlink entries at their targets' inodes.
Result<void> PlanBuilder::resolve_links() {
  if (links_.empty()) return {};
  std::unordered_map<const Node*, uint32_t> index;
  index.reserve(plan_.inodes.size());
  for (uint32_t i = 0; i < plan_.inodes.size(); ++i)
    if (plan_.inodes[i].node) index.emplace(plan_.inodes[i].node, i);
  for (const LinkEntry& l : links_) {
    auto it = index.find(l.target);
    if (it == index.end())
      return make_error(EINVAL, "hardlink " + tree::Tree::path_of(*l.entry) + " points outside the tree");
    const Inode& dir = plan_.inodes[l.dir];
    auto first = plan_.dirents.begin() + dir.dirents_begin;
    std::lower_bound(first, first + dir.dirents_count, Dirent{l.name, 0}, dirent_less)->inode = it->second;
  }
  return {};
}

// C marks a whiteout's parent when it rewrites the whiteout; we count them first
// so each inode's xattrs are made in one go (the same set() calls, in C's order
// for that inode: its own, then one round of markers per whiteout child).
void PlanBuilder::count_whiteout_children() {
  whiteout_children_.assign(plan_.inodes.size(), 0);
  for (uint32_t i = 1; i < plan_.inodes.size(); ++i) {
    const Inode& ino = plan_.inodes[i];
    if (ino.node && tree::is_whiteout(ino.mode, ino.rdev)) ++whiteout_children_[parent_[i]];
  }
}

// C: rewrite_tree_node_for_erofs + add_overlayfs_xattrs for one inode.
Result<void> PlanBuilder::rewrite(uint32_t index, XattrBuilder& xattrs) {
  Inode& ino = plan_.inodes[index];
  if (ino.chunk_based()) {
    uint32_t bits;
    uint64_t chunks;
    compute_chunking(ino.size, bits, chunks);
    if (chunks > fmt::LCFS_MAX_NONINLINE_CHUNKS) return make_error(EFBIG, "file too large");
  }
  if (ino.type() == S_IFREG && !ino.data.empty() && ino.data.size() != ino.size)
    return make_error(EINVAL, "inline content length differs from the file size");
  xattrs.add_source(*ino.node);
  // Escape existing trusted.overlay.* so overlayfs does not act on them.
  for (auto& x : xattrs.entries())
    if (x.name.starts_with(fmt::OVERLAY_XATTR_PREFIX))
      x.name = plan_.keep({fmt::OVERLAY_XATTR_ESCAPE_PREFIX, x.name.substr(fmt::OVERLAY_XATTR_PREFIX.size())});
  if (ino.chunk_based()) {
    std::string_view metacopy;
    if (const auto* digest = ino.node->digest) {
      auto len = static_cast<uint8_t>(fmt::OVL_METACOPY_HEADER_SIZE + digest->size());
      fmt::ovl_metacopy m{0, len, 0, static_cast<uint8_t>(digest->alg()), {}};
      std::copy(digest->begin(), digest->end(), m.digest);
      metacopy = plan_.keep({std::string_view(reinterpret_cast<const char*>(&m), len)});
    }
    CFS_CHECK(xattrs.set(fmt::OVERLAY_XATTR_METACOPY, metacopy));
    const auto& payload = ino.node->payload;
    // C: maybe_join_path("/", payload) always prepends "/", so "/abs" becomes "//abs".
    if (payload && !payload->empty()) {
      XattrEntry redirect{fmt::OVERLAY_XATTR_REDIRECT, *payload};
      redirect.slash = true;
      CFS_CHECK(xattrs.set(redirect));
    }
  }
  if (tree::is_whiteout(ino.mode, ino.rdev)) {
    ino.size = 0;
    ino.data = {};
    ino.mode = S_IFREG | (ino.mode & ~S_IFMT);
    CFS_CHECK(xattrs.set(fmt::OVERLAY_XATTR_ESCAPED_WHITEOUT, ""));
    CFS_CHECK(xattrs.set(fmt::OVERLAY_XATTR_USERXATTR_WHITEOUT, ""));
  }
  return {};
}

// What C sets on a directory each time it rewrites one of its whiteouts.
Result<void> PlanBuilder::add_parent_markers(uint32_t index, XattrBuilder& xattrs) {
  for (uint32_t n = 0; n < whiteout_children_[index]; ++n) {
    CFS_CHECK(xattrs.set(fmt::OVERLAY_XATTR_ESCAPED_WHITEOUTS, ""));
    CFS_CHECK(xattrs.set(fmt::OVERLAY_XATTR_USERXATTR_WHITEOUTS, ""));
    if (plan_.version >= 1) {
      CFS_CHECK(xattrs.set(fmt::OVERLAY_XATTR_ESCAPED_OPAQUE, "x"));
      CFS_CHECK(xattrs.set(fmt::OVERLAY_XATTR_USERXATTR_OPAQUE, "x"));
    }
  }
  return {};
}

// C: add_overlay_whiteouts, after the rewrite: a 0:0 character device with the
// root's owner, mtime and SELinux label.
Result<void> PlanBuilder::make_root_whiteout(uint32_t index, XattrBuilder& xattrs) {
  Inode& wo = plan_.inodes[index];
  const Inode& root = plan_.inodes[0];
  wo.mode = S_IFCHR | 0644;
  wo.uid = root.uid;
  wo.gid = root.gid;
  wo.mtime_sec = root.mtime_sec;
  wo.mtime_nsec = root.mtime_nsec;
  if (root_selinux_) CFS_CHECK(xattrs.set(XattrEntry{root_selinux_->name, root_selinux_->value}));
  return {};
}

// The xattrs of inode `index`, appended to Plan::xattrs.
Result<void> PlanBuilder::build_xattrs(uint32_t index) {
  Inode& ino = plan_.inodes[index];
  XattrBuilder xattrs(scratch_);
  if (!ino.node) {
    CFS_CHECK(make_root_whiteout(index, xattrs));
  } else {
    auto r = rewrite(index, xattrs);
    if (r) r = add_parent_markers(index, xattrs);
    if (r && index == 0) r = xattrs.set(fmt::OVERLAY_XATTR_OPAQUE, "y");  // C: set_overlay_opaque
    if (!r) return make_error(r.error().errnum, tree::Tree::path_of(*ino.node) + ": " + r.error().msg);
  }
  if (index == 0)
    for (const auto& x : scratch_)
      if (x.name == "security.selinux") root_selinux_ = x;
  ino.xattrs_begin = static_cast<uint32_t>(plan_.xattrs.size());
  ino.xattrs_count = static_cast<uint32_t>(scratch_.size());
  plan_.xattrs.insert(plan_.xattrs.end(), scratch_.begin(), scratch_.end());
  return {};
}

// C: lcfs_compute_tree — directory nlink, canonical xattr order, minimum mtime, ACL flag.
void PlanBuilder::finish_inodes() {
  plan_.min_mtime_sec = plan_.inodes[0].mtime_sec;
  plan_.min_mtime_nsec = plan_.inodes[0].mtime_nsec;
  for (Inode& ino : plan_.inodes) {
    if (ino.type() == S_IFDIR) {
      ino.nlink = 2;
      for (const Node* c : ino.node->children)
        if (!c->is_hardlink() && c->is_dir()) ++ino.nlink;
    }
    auto xattrs = plan_.xattrs_of(ino);
    std::sort(xattrs.begin(), xattrs.end(), [](const XattrEntry& a, const XattrEntry& b) { return a.name < b.name; });
    if (ino.mtime_sec < plan_.min_mtime_sec ||
        (ino.mtime_sec == plan_.min_mtime_sec && ino.mtime_nsec < plan_.min_mtime_nsec)) {
      plan_.min_mtime_sec = ino.mtime_sec;
      plan_.min_mtime_nsec = ino.mtime_nsec;
    }
    for (const auto& x : xattrs)
      if (x.name == "system.posix_acl_access" || x.name == "system.posix_acl_default") plan_.has_acl = true;
  }
}

Result<void> PlanBuilder::build() {
  number_inodes();
  CFS_CHECK(resolve_links());
  count_whiteout_children();
  // An inode gets at most 4 xattrs beyond its own (metacopy + redirect, or the
  // whiteout pair, or 4 directory markers, or opaque + ... on the root).
  size_t max_xattrs = 8;
  for (const Inode& ino : plan_.inodes) max_xattrs += 4 + (ino.node ? ino.node->xattrs.size() : 1);
  plan_.xattrs.reserve(max_xattrs);
  for (uint32_t i = 0; i < plan_.inodes.size(); ++i) CFS_CHECK(build_xattrs(i));
  finish_inodes();
  return {};
}

}  // namespace

void compute_chunking(uint64_t size, uint32_t& chunkbits, uint64_t& chunk_count) {
  // C: erofs_compute_chunk_bitsize — as few chunks as possible, each at least one
  // block and at most 2^(12+31) bytes.
  uint32_t bits = size > 1 ? static_cast<uint32_t>(std::bit_width(size - 1)) : 1;
  bits = std::clamp<uint32_t>(bits, fmt::EROFS_BLKSIZ_BITS, fmt::EROFS_BLKSIZ_BITS + fmt::EROFS_CHUNK_FORMAT_BLKBITS_MASK);
  chunkbits = bits;
  chunk_count = (size >> bits) + ((size & ((uint64_t(1) << bits) - 1)) ? 1 : 0);
}

Result<Plan> build_plan(const tree::Tree& tree, const WriteOptions& options) {
  if (!tree.root() || !tree.root()->is_dir()) return make_error(EINVAL, "the root must be a directory");
  if (options.min_version > fmt::LCFS_VERSION_MAX || options.max_version > fmt::LCFS_VERSION_MAX)
    return make_error(EINVAL, "unsupported format version (the newest is 1)");
  Plan plan;
  plan.version = options.min_version;
  uint32_t max_version = std::max(options.max_version, options.min_version);
  if (plan.version < 1 && max_version >= 1 && tree_has_whiteout(tree)) plan.version = 1;
  PlanBuilder builder(tree, plan);
  CFS_CHECK(builder.build());
  return plan;
}

}  // namespace cfs::erofs::detail
