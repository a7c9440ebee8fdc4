#include "oci/apply.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <deque>
#include <unordered_map>

#include "format/composefs.hpp"

namespace cfs::oci {
namespace {

namespace fmt = cfs::format;

constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";
constexpr size_t kNameMax = 255;   // NAME_MAX: what no unpacked tree can hold is refused
constexpr size_t kPathMax = 4095;  // PATH_MAX without the NUL; also bounds the depth

// umoci 0.4.7 never restores these (host-specific, or overlayfs's own); nor do we.
bool is_ignored_xattr(std::string_view name) {
  static constexpr std::string_view kIgnored[] = {
      "security.selinux", "system.nfs4_acl", "trusted.overlay.opaque", "trusted.overlay.redirect",
      "trusted.overlay.origin", "trusted.overlay.impure", "trusted.overlay.nlink", "trusted.overlay.upper",
      "trusted.overlay.metacopy"};
  return std::find(std::begin(kIgnored), std::end(kIgnored), name) != std::end(kIgnored);
}

std::pair<std::string_view, std::string_view> split_path(std::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return {{}, path};
  return {path.substr(0, slash), path.substr(slash + 1)};
}

}  // namespace

TreeBuilder::TreeBuilder(tree::Tree& tree, const ApplyOptions& options, ContentWriter& contents)
    : tree_(tree), options_(options), contents_(contents) {
  // A root no layer lists: 0755, 0:0, mtime 0 (containers/storage's choice).
  tree::Node* root = tree_.new_node();
  root->mode = S_IFDIR | 0755;
  tree_.set_root(root);
}

void TreeBuilder::begin_layer() { upper_.clear(); }

tree::Node* TreeBuilder::lookup(const tree::Node* dir, std::string_view name) const {
  auto it = children_.find(Key{dir, name});
  return it == children_.end() ? nullptr : it->second;
}

// A directory's children vector may hold entries replaced or removed since
// (children_ says which are live); finish() keeps only the live ones.
void TreeBuilder::link_child(tree::Node& dir, tree::Node& child) {
  child.parent = &dir;
  dir.children.push_back(&child);
  children_[Key{&dir, child.name}] = &child;
}

void TreeBuilder::unlink_child(tree::Node& dir, tree::Node& child) {
  auto it = children_.find(Key{&dir, child.name});
  if (it != children_.end() && it->second == &child) children_.erase(it);
}

std::vector<tree::Node*> TreeBuilder::live_children(const tree::Node& dir) const {
  std::vector<tree::Node*> out;
  for (tree::Node* c : dir.children)
    if (lookup(&dir, c->name) == c) out.push_back(c);
  return out;
}

tree::Node* TreeBuilder::implicit_dir(tree::Node& parent, std::string_view name) {
  tree::Node* dir = tree_.new_node();
  dir->name = tree_.keep(name);
  dir->mode = S_IFDIR | 0755;
  link_child(parent, *dir);
  return dir;
}

// The directory `path` ("" is the root). With `create`, missing ones are made
// implicitly; otherwise nullptr when it is not there. A non-directory on the
// way is an error with `create` (umoci would follow a symlink there; we refuse).
Result<tree::Node*> TreeBuilder::parent_dir(std::string_view path, bool create) {
  tree::Node* cur = tree_.root();
  size_t pos = 0;
  while (pos < path.size()) {
    size_t end = std::min(path.find('/', pos), path.size());
    std::string_view part = path.substr(pos, end - pos);
    pos = end + 1;
    tree::Node* next = lookup(cur, part);
    if (!next) {
      if (!create) return nullptr;
      next = implicit_dir(*cur, part);
    } else if (!next->is_dir()) {
      if (!create) return nullptr;
      return make_error(ENOTDIR, "parent \"" + std::string(path.substr(0, end)) + "\" is not a directory");
    }
    cur = next;
  }
  return cur;
}

void TreeBuilder::mark_upper(tree::Node* node) {
  for (; node && upper_.insert(node).second; node = node->parent) {
  }
}

// umoci's ociWhiteout: every entry at and below `node` that this layer did not
// write is removed; with `keep_node` (an opaque directory) the node itself stays.
void TreeBuilder::remove_lower(tree::Node& dir, tree::Node& node, bool keep_node) {
  std::vector<std::pair<tree::Node*, tree::Node*>> stack{{&dir, &node}};  // (parent, entry)
  while (!stack.empty()) {
    auto [parent, entry] = stack.back();
    stack.pop_back();
    bool keep = upper_.count(entry) || (keep_node && entry == &node);
    if (!keep) {
      unlink_child(*parent, *entry);
      continue;
    }
    if (entry->is_dir() && !entry->is_hardlink())
      for (tree::Node* c : live_children(*entry)) stack.emplace_back(entry, c);
  }
}

Result<void> TreeBuilder::apply_whiteout(const TarEntry& entry, std::string_view name) {
  auto [dir_path, _] = split_path(entry.path);
  tree::Node* dir = CFS_TRY(parent_dir(dir_path, false));
  if (!dir) return {};  // nothing below to hide
  if (name == kOpaqueMarker) {
    remove_lower(*dir, *dir, true);
    return {};
  }
  tree::Node* target = lookup(dir, name.substr(kWhiteoutPrefix.size()));
  if (target) remove_lower(*dir, *target, false);
  return {};
}

// --from-tar: `.wh.NAME` becomes NAME, a 0:0 character device (mode 0, the
// whiteout's owner and mtime), unless the layer has a NAME of its own;
// `.wh..wh..opq` marks its directory opaque (set in finish()).
Result<void> TreeBuilder::overlay_whiteout(const TarEntry& entry, tree::Node& dir, std::string_view name) {
  if (name == kOpaqueMarker) {
    opaque_.insert(&dir);
    return {};
  }
  std::string_view hidden = name.substr(kWhiteoutPrefix.size());
  if (tree::Node* own = lookup(&dir, hidden)) {
    // The layer's own entry stays; below a directory of its own the whiteout
    // still hides everything of lower layers (umoci): an opaque directory.
    if (own->is_dir() && !own->is_hardlink()) opaque_.insert(own);
    return {};
  }
  tree::Node* node = tree_.new_node();
  node->name = tree_.keep(hidden);
  node->mode = S_IFCHR;
  node->uid = entry.uid;
  node->gid = entry.gid;
  if (!options_.use_epoch) {
    node->mtime_sec = entry.mtime_sec;
    node->mtime_nsec = entry.mtime_nsec;
  }
  link_child(dir, *node);
  return {};
}

void TreeBuilder::set_metadata(tree::Node& node, const TarEntry& entry) {
  // Symlinks are 0777 whatever the header says (umoci does not chmod them).
  node.mode = (entry.mode & S_IFMT) == S_IFLNK ? (S_IFLNK | 0777) : entry.mode;
  node.uid = entry.uid;
  node.gid = entry.gid;
  node.mtime_sec = options_.use_epoch ? 0 : entry.mtime_sec;
  node.mtime_nsec = options_.use_epoch ? 0 : entry.mtime_nsec;
}

// A listed entry's xattrs are exactly its header's (umoci clears the others).
void TreeBuilder::set_xattrs(tree::Node& node, const TarEntry& entry) {
  node.xattrs.clear();
  if (options_.skip_xattrs) return;
  for (const auto& [name, value] : entry.xattrs) {
    // A pax record with an empty value unsets its keyword (POSIX pax; Go's tar
    // and so umoci read it that way): no xattr.
    if (value.empty()) continue;
    if (is_ignored_xattr(name) || (options_.user_xattrs && !std::string_view(name).starts_with("user."))) continue;
    node.set_xattr(tree_.intern(name), tree_.intern(value));
  }
}

Result<tree::Node*> TreeBuilder::resolve_hardlink(const TarEntry& entry) {
  auto [dir_path, name] = split_path(*entry.hardlink);
  tree::Node* dir = CFS_TRY(parent_dir(dir_path, false));
  tree::Node* target = dir ? lookup(dir, name) : nullptr;
  if (!target || entry.hardlink->empty())
    return make_error(ENOENT, "hard link to nothing (\"" + *entry.hardlink + "\" does not exist)");
  if (target->is_dir()) return make_error(EPERM, "hard link to a directory (\"" + *entry.hardlink + "\")");
  return target->link_to ? target->link_to : target;
}

Result<void> TreeBuilder::fill_node(tree::Node& node, const TarEntry& entry, LayerReader& layer) {
  set_metadata(node, entry);
  set_xattrs(node, entry);
  switch (entry.mode & S_IFMT) {
    case S_IFREG:
      node.size = entry.size;
      return contents_.read_file(layer, node, entry.raw_path);
    case S_IFDIR:
    case S_IFIFO:
      return {};
    case S_IFLNK:
      if (entry.symlink.empty() || entry.symlink.size() >= fmt::PATH_MAX_LEN)
        return make_error(EINVAL, "symlink target empty or too long");
      node.payload = tree_.keep(entry.symlink);
      node.size = entry.symlink.size();
      return {};
    case S_IFCHR:
    case S_IFBLK:
      // glibc's dev_t encoding, truncated to 32 bits as the scan stores st_rdev.
      node.rdev = static_cast<uint32_t>(::makedev(entry.rdev_major, entry.rdev_minor));
      return {};
    default:
      return make_error(EINVAL, "unsupported file type");
  }
}

Result<void> TreeBuilder::apply(const TarEntry& entry, LayerReader& layer) {
  if (entry.path.size() > kPathMax) return make_error(ENAMETOOLONG, entry.raw_path + ": path too long");
  if (entry.path.empty()) {  // the root itself
    if ((entry.mode & S_IFMT) != S_IFDIR || entry.hardlink)
      return make_error(EINVAL, entry.raw_path + ": the root must be a directory");
    set_metadata(*tree_.root(), entry);
    set_xattrs(*tree_.root(), entry);
    return {};
  }
  auto [dir_path, name] = split_path(entry.path);
  // A whiteout's own name may be 4 bytes longer: it names an entry of 255.
  const bool whiteout = name.starts_with(kWhiteoutPrefix);
  if (name.size() > kNameMax + (whiteout ? kWhiteoutPrefix.size() : 0))
    return make_error(ENAMETOOLONG, entry.raw_path + ": name longer than 255 bytes");
  if (whiteout) {
    std::string_view hidden = name.substr(kWhiteoutPrefix.size());
    if (name != kOpaqueMarker && (hidden.empty() || hidden == "." || hidden == ".."))
      return make_error(EINVAL, entry.raw_path + ": malformed whiteout");
    if (!options_.overlay_whiteouts) return apply_whiteout(entry, name);
    auto dir = parent_dir(dir_path, true);
    if (!dir) return make_error(dir.error().errnum, entry.raw_path + ": " + dir.error().msg);
    return overlay_whiteout(entry, **dir, name);
  }
  auto dir_or = parent_dir(dir_path, true);
  if (!dir_or) return make_error(dir_or.error().errnum, entry.raw_path + ": " + dir_or.error().msg);
  tree::Node& dir = **dir_or;
  tree::Node* existing = lookup(&dir, name);
  const bool is_dir = (entry.mode & S_IFMT) == S_IFDIR && !entry.hardlink;
  if (existing && existing->is_dir() && is_dir) {  // a directory listed again: new metadata, same children
    set_metadata(*existing, entry);
    set_xattrs(*existing, entry);
    mark_upper(existing);
    return {};
  }
  if (existing) unlink_child(dir, *existing);  // replaced, whatever it was
  tree::Node* node = tree_.new_node();
  node->name = tree_.keep(name);
  if (entry.hardlink) {
    auto inode = resolve_hardlink(entry);
    if (!inode) return make_error(inode.error().errnum, entry.raw_path + ": " + inode.error().msg);
    node->link_to = *inode;
    node->mode = (*inode)->mode;
  } else {
    auto filled = fill_node(*node, entry, layer);
    if (!filled) return make_error(filled.error().errnum, entry.raw_path + ": " + filled.error().msg);
  }
  // --from-tar: a directory where this layer whited out NAME before starts empty.
  if (options_.overlay_whiteouts && existing && existing->is_whiteout() && is_dir) opaque_.insert(node);
  link_child(dir, *node);
  mark_upper(node);
  return {};
}

}  // namespace cfs::oci
