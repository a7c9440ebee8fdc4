// TreeBuilder::finish: the applied layers as the tree `mkcomposefs DIR` builds
// from the unpacked root filesystem.
#include <sys/stat.h>

#include <algorithm>
#include <deque>
#include <unordered_map>

#include "oci/apply.hpp"

namespace cfs::oci {
namespace {

constexpr std::string_view kOverlayOpaque = "trusted.overlay.opaque";

bool keeps_links(const tree::Node& inode) { return !inode.is_dir() && !inode.is_whiteout(); }
bool is_device(const tree::Node& n) { return n.type() == S_IFCHR || n.type() == S_IFBLK; }

// The inode fields of `from` given to the entry `to` (a name of the same file).
void copy_inode(tree::Node& to, const tree::Node& from) {
  to.mode = from.mode;
  to.uid = from.uid;
  to.gid = from.gid;
  to.rdev = from.rdev;
  to.mtime_sec = from.mtime_sec;
  to.mtime_nsec = from.mtime_nsec;
  to.size = from.size;
  to.payload = from.payload;
  to.content = from.content;
  to.digest = from.digest;
  to.xattrs = from.xattrs;
  to.link_to = nullptr;
  to.nlink = 1;
}

const tree::Node& inode_of(const tree::Node& n) { return n.link_to ? *n.link_to : n; }

}  // namespace

void TreeBuilder::finish() {
  // (directory, at or below an opaque one)
  std::deque<std::pair<tree::Node*, bool>> queue{{tree_.root(), opaque_.count(tree_.root()) > 0}};
  std::vector<tree::Node*> order;  // every entry, breadth first, names sorted
  while (!queue.empty()) {
    auto [dir, in_opaque] = queue.front();
    queue.pop_front();
    std::vector<tree::Node*> kids = live_children(*dir);
    // --skip-devices as the scan: devices (and names of them) are left out.
    if (options_.skip_devices)
      std::erase_if(kids, [](const tree::Node* c) { return is_device(inode_of(*c)); });
    // --from-tar: below an opaque directory a whiteout hides nothing; left out
    // (a whiteout with nothing under it shows in an overlay mount's readdir).
    if (in_opaque) std::erase_if(kids, [](const tree::Node* c) { return inode_of(*c).is_whiteout(); });
    std::sort(kids.begin(), kids.end(), [](const tree::Node* a, const tree::Node* b) { return a->name < b->name; });
    dir->children = std::move(kids);
    for (tree::Node* c : dir->children) {
      order.push_back(c);
      if (c->is_dir() && !c->is_hardlink()) queue.emplace_back(c, in_opaque || opaque_.count(c) > 0);
    }
  }
  // An opaque marker is the layer's meaning, not a file's xattr: kept whatever
  // the xattr options say.
  for (tree::Node* dir : opaque_) dir->set_xattr(tree_.intern(kOverlayOpaque), tree_.intern("y"));
  resolve_links(order);
}

// Names of one inode: with --hardlinks, as lib/scan places them (the inode at
// its first name in breadth-first order, real nlink); without, every name is a
// file of its own with nlink 1, as the scan sees an unpacked tree.
void TreeBuilder::resolve_links(const std::vector<tree::Node*>& order) {
  struct Group {
    tree::Node* first = nullptr;
    uint32_t names = 0;
  };
  std::unordered_map<const tree::Node*, Group> groups;
  std::vector<std::pair<tree::Node*, const tree::Node*>> names;  // (entry, its inode), before any change
  for (tree::Node* n : order) {
    if (n->is_dir() && !n->is_hardlink()) continue;
    names.emplace_back(n, &inode_of(*n));
    Group& g = groups[names.back().second];
    if (!g.first) g.first = n;
    ++g.names;
  }
  // The first name of each linked inode takes the inode's fields before any
  // name turns into a hardlink entry (the inode's own node may be one of them).
  for (auto& [inode, g] : groups) {
    if (!options_.hardlinks || g.names < 2 || !keeps_links(*inode)) continue;
    if (g.first != inode) copy_inode(*g.first, *inode);
    g.first->nlink = g.names;
  }
  for (auto [n, inode] : names) {
    const Group& g = groups[inode];
    if (options_.hardlinks && g.names >= 2 && keeps_links(*inode)) {
      if (n != g.first) {
        n->link_to = g.first;
        n->mode = g.first->mode;
      }
    } else if (n != inode) {
      copy_inode(*n, *inode);
    }
  }
}

}  // namespace cfs::oci
