// Building the View: one breadth-first pass over the image's directories.
#include "fuse/view.hpp"

#include <algorithm>
#include <deque>

#include "erofs/reader/decode.hpp"
#include "erofs/reader/reader.hpp"

namespace cfs::fuse {
namespace fmt = cfs::format;
namespace rd = cfs::erofs::reader;

namespace {

// overlayfs's reading of a data-only redirect: an absolute path from the data
// layer's root ("/xx/yyyy..."); the leading '/' goes so it can be openat()ed.
std::string_view redirect_path(std::span<const uint8_t> value) {
  std::string_view v(reinterpret_cast<const char*>(value.data()), value.size());
  while (v.starts_with('/')) v.remove_prefix(1);
  return v;
}

}  // namespace

std::optional<std::string> shown_xattr_name(std::string_view stored) {
  if (!stored.starts_with(fmt::OVERLAY_XATTR_PREFIX)) return std::string(stored);
  // overlayfs (ovl_is_escaped_xattr): trusted.overlay.overlay.X is the user's
  // trusted.overlay.X; any other trusted.overlay.* is overlayfs's own, hidden.
  if (!stored.starts_with(fmt::OVERLAY_XATTR_ESCAPE_PREFIX)) return std::nullopt;
  stored.remove_prefix(fmt::OVERLAY_XATTR_ESCAPE_PREFIX.size());
  return std::string(fmt::OVERLAY_XATTR_PREFIX) + std::string(stored);
}

class View::Builder {
 public:
  Builder(View& v, uint64_t max_entries) : v_(v), max_entries_(max_entries) {}

  Result<void> run() {
    CFS_TRY(add_inode(v_.img_.root_nid(), kRoot, fmt::EROFS_FT_DIR));
    while (!queue_.empty()) {
      uint32_t dir = queue_.front();
      queue_.pop_front();
      CFS_CHECK(index_dir(dir));
    }
    return {};
  }

 private:
  // The inode number for `nid` (a new one unless the inode was seen: hardlinks
  // share it), or 0 for a whiteout, which overlayfs hides.
  Result<uint32_t> add_inode(uint64_t nid, uint32_t parent, uint8_t file_type) {
    if (auto it = seen_.find(nid); it != seen_.end()) {
      const FileNode& old = v_.nodes_[it->second];
      if (fmt::erofs_file_type(old.stored.mode) != file_type) return mismatch(nid);
      // A directory has one name: a second one would make a cycle or a DAG.
      if (old.type() == S_IFDIR) return rd::corrupt("directory inode " + std::to_string(nid) + " has two names");
      return it->second;
    }
    rd::Inode ino = CFS_TRY(rd::read_inode(v_.img_, nid));
    if (fmt::erofs_file_type(ino.mode) != file_type) return mismatch(nid);
    if (tree::is_whiteout(ino.mode, ino.i_u)) return 0;
    FileNode node;
    node.stored = ino;
    node.parent = parent;
    CFS_CHECK(read_overlay_xattrs(node));
    // Checked now so a corrupt file fails the mount, not a read much later.
    if (ino.type() == S_IFLNK) CFS_TRY(rd::symlink_target(v_.img_, ino));
    if (ino.type() == S_IFREG && node.redirect.empty()) CFS_TRY(rd::inline_content(v_.img_, ino));
    const auto number = static_cast<uint32_t>(v_.nodes_.size());
    v_.nodes_.push_back(std::move(node));
    seen_.emplace(nid, number);
    if (ino.type() == S_IFDIR) queue_.push_back(number);
    return number;
  }

  static Error mismatch(uint64_t nid) {
    return rd::corrupt("inode " + std::to_string(nid) + ": directory entry type does not match the inode");
  }

  // Redirect and metacopy digest; every xattr is decoded so corruption shows now.
  Result<void> read_overlay_xattrs(FileNode& node) {
    auto xs = CFS_TRY(rd::stored_xattrs(v_.img_, node.stored));
    if (node.type() != S_IFREG) return {};
    for (const auto& x : xs) {
      if (x.name == fmt::OVERLAY_XATTR_REDIRECT) {
        node.redirect = redirect_path(x.value);
        if (node.redirect.empty() || node.redirect.size() >= fmt::PATH_MAX_LEN)
          return rd::corrupt("inode " + std::to_string(node.stored.nid) + ": bad redirect");
      } else if (x.name == fmt::OVERLAY_XATTR_METACOPY) {
        if (auto d = fmt::metacopy_digest(x.value)) node.digest = *d;
      }
    }
    return {};
  }

  Result<void> index_dir(uint32_t dir) {
    const rd::Inode stored = v_.nodes_[dir].stored;  // copied: nodes_ grows below
    auto raw = CFS_TRY(rd::read_dirents(v_.img_, stored));
    const auto first = static_cast<uint32_t>(v_.entries_.size());
    for (const rd::RawDirent& e : raw) {
      if (e.name == "." || e.name == "..") continue;
      if (v_.entries_.size() >= max_entries_) return rd::corrupt("more directory entries than the image can hold");
      uint32_t ino = CFS_TRY(add_inode(e.nid, dir, e.file_type));
      if (ino == 0) continue;
      if (!v_.index_.emplace(Key{dir, e.name}, ino).second)
        return rd::corrupt("directory inode " + std::to_string(stored.nid) + ": repeated name");
      FileNode& child = v_.nodes_[ino];
      if (child.parent == dir && child.position == 0) child.position = static_cast<uint32_t>(v_.entries_.size() - first);
      v_.entries_.push_back(Entry{e.name, ino});
    }
    v_.nodes_[dir].first = first;
    v_.nodes_[dir].count = static_cast<uint32_t>(v_.entries_.size()) - first;
    return {};
  }

  View& v_;
  uint64_t max_entries_;
  std::unordered_map<uint64_t, uint32_t> seen_;
  std::deque<uint32_t> queue_;
};

Result<View> View::build(std::span<const uint8_t> image) {
  if (image.size() > erofs::kMaxImageSize) return make_error(EFBIG, "image larger than 1 GiB");
  View v(CFS_TRY(rd::Image::open(image)));
  v.nodes_.resize(1);
  // Each entry takes at least a 12-byte dirent and one name byte in a real image;
  // more means directories share blocks to multiply what we would allocate.
  Builder b(v, image.size() / 13 + 1);
  CFS_CHECK(b.run());
  return v;
}

uint32_t View::lookup(uint32_t dir, std::string_view name) const {
  auto it = index_.find(Key{dir, name});
  return it == index_.end() ? 0 : it->second;
}

bool View::has_acl() const { return (img_.flags() & fmt::LCFS_EROFS_FLAGS_HAS_ACL) != 0; }

Result<std::string> View::symlink_target(const FileNode& n) const { return rd::symlink_target(img_, n.stored); }

Result<std::string> View::stored_data(const FileNode& n) const { return rd::inline_content(img_, n.stored); }

Result<std::vector<ShownXattr>> View::xattrs(const FileNode& n) const {
  auto stored = CFS_TRY(rd::stored_xattrs(img_, n.stored));
  std::vector<ShownXattr> out;
  for (auto& x : stored)
    if (auto name = shown_xattr_name(x.name)) out.push_back(ShownXattr{std::move(*name), x.value});
  return out;
}

}  // namespace cfs::fuse
