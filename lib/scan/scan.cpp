#include "scan/scan.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <unordered_set>

#include "format/composefs.hpp"
#include "util/io.hpp"

namespace cfs::scan {
namespace {

namespace fmt = cfs::format;

class Scanner {
 public:
  Scanner(const ScanOptions& options, tree::Tree& tree, ContentReader& contents, std::string root)
      : options_(options), tree_(tree), contents_(contents), root_(std::move(root)) {}
  Result<void> scan_dir(int dirfd, tree::Node& dir, const std::string& rel);
  Result<void> load_node(int dirfd, const char* name, const std::string& rel, tree::Node& node, const FileStat& st);
  void place_linked_inodes(tree::Node& root);

 private:
  bool link_to_seen(const FileStat& st, tree::Node& node);

  std::string show(const std::string& rel) const { return rel.empty() ? root_ : root_ + "/" + rel; }
  XattrFilter filter() const { return {options_.user_xattrs}; }

  const ScanOptions& options_;
  tree::Tree& tree_;
  ContentReader& contents_;
  std::string root_;
  std::map<std::pair<dev_t, uint64_t>, tree::Node*> seen_;  // --hardlinks only
  std::unordered_set<const tree::Node*> linked_;          // inodes with hardlink entries
};

std::string join(const std::string& dir, const char* name) { return dir.empty() ? name : dir + "/" + name; }

StatStamp stamp_of(const FileStat& st) { return {st.size, st.mtime, st.ctime}; }

// --hardlinks: names of one inode become hardlink entries, except directories and
// whiteouts. Whiteouts are markers, not content: overlayfs links many to one inode,
// but the image marks only the parent of an inode's first name (C's writer), so each
// whiteout must stay an inode of its own to keep hiding what it hides.
bool keeps_links(const FileStat& st) {
  return !S_ISDIR(st.mode) && st.nlink > 1 && !tree::is_whiteout(st.mode, static_cast<uint32_t>(st.rdev));
}

bool Scanner::link_to_seen(const FileStat& st, tree::Node& node) {
  if (!options_.hardlinks || !keeps_links(st)) return false;
  auto [it, inserted] = seen_.try_emplace({st.dev, st.ino}, &node);
  if (inserted) return false;
  node.link_to = it->second;
  node.mode = it->second->mode;
  linked_.insert(it->second);
  return true;
}

// Two entries trade places in the tree: name, parent and slot in the parent's
// (sorted) children, so the sort order still holds.
void swap_places(tree::Node& a, tree::Node& b) {
  auto slot = [](tree::Node& n) { return std::find(n.parent->children.begin(), n.parent->children.end(), &n); };
  std::swap(*slot(a), *slot(b));
  std::swap(a.name, b.name);
  std::swap(a.parent, b.parent);
}

// --hardlinks: the scan made the first name it met (readdir order, which differs
// between filesystems) the inode. Move each inode to its first name in the image's
// inode order (breadth first, names sorted), so the image depends on the tree alone.
void Scanner::place_linked_inodes(tree::Node& root) {
  if (linked_.empty()) return;
  std::deque<tree::Node*> queue{&root};
  while (!queue.empty()) {
    tree::Node* dir = queue.front();
    queue.pop_front();
    for (size_t i = 0; i < dir->children.size(); ++i) {
      tree::Node* entry = dir->children[i];
      tree::Node* inode = entry->link_to ? entry->link_to : entry;
      if (linked_.erase(inode) && inode != entry) swap_places(*inode, *entry);
      if (dir->children[i]->is_dir()) queue.push_back(dir->children[i]);
    }
  }
}

// C: lcfs_load_node_from_file, minus the contents (fill_contents reads those).
Result<void> Scanner::load_node(int dirfd, const char* name, const std::string& rel, tree::Node& node,
                                const FileStat& st) {
  if (link_to_seen(st, node)) return {};
  node.mode = st.mode;
  node.uid = st.uid;
  node.gid = st.gid;
  node.rdev = static_cast<uint32_t>(st.rdev);
  node.size = st.size;
  node.nlink = options_.hardlinks && keeps_links(st) ? static_cast<uint32_t>(st.nlink) : 1;
  if (!options_.use_epoch) {
    node.mtime_sec = st.mtime.sec;
    node.mtime_nsec = st.mtime.nsec;
  }
  if (!tree::is_valid_file_type(node.mode)) return make_error(EINVAL, show(rel) + ": unsupported file type");
  if (S_ISLNK(st.mode)) {
    char target[fmt::PATH_MAX_LEN];
    ssize_t n = ::readlinkat(dirfd, name, target, sizeof target);
    if (n < 0) return errno_error(errno, show(rel));
    if (n == 0 || static_cast<size_t>(n) >= fmt::PATH_MAX_LEN) return make_error(EINVAL, show(rel) + ": symlink target empty or too long");
    node.payload = tree_.keep(std::string_view(target, static_cast<size_t>(n)));
    node.size = node.payload->size();
  }
  // Each file's xattrs are read exactly once: a non-empty regular file's through the
  // fd the content reader opens, a directory's through the fd scan_dir opens, all
  // others' (empty files included) by path here, before the node is queued.
  bool by_fd = S_ISDIR(st.mode) || ContentReader::reads_xattrs_of(node);
  if (!options_.skip_xattrs && !by_fd) CFS_CHECK(read_xattrs_path(show(rel), filter(), tree_.strings(), node));
  if (S_ISREG(st.mode)) contents_.add({&node, rel, stamp_of(st)});
  return {};
}

struct DirCloser {
  void operator()(DIR* d) const { ::closedir(d); }
};

// C: lcfs_build — readdir order does not matter, children are sorted afterwards.
Result<void> Scanner::scan_dir(int dirfd, tree::Node& dir, const std::string& rel) {
  int fd = ::openat(dirfd, rel.empty() ? "." : rel.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return errno_error(errno, show(rel));
  std::unique_ptr<DIR, DirCloser> d(::fdopendir(fd));
  if (!d) {
    ::close(fd);
    return errno_error(errno, show(rel));
  }
  if (!options_.skip_xattrs) CFS_CHECK(read_xattrs_fd(fd, filter(), show(rel), tree_.strings(), dir));
  std::vector<tree::Node*> subdirs;
  while (true) {
    errno = 0;
    struct dirent* de = ::readdir(d.get());
    if (!de) {
      if (errno) return errno_error(errno, show(rel));
      break;
    }
    std::string_view name = de->d_name;
    if (name == "." || name == "..") continue;
    std::string child_rel = join(rel, de->d_name);
    FileStat st = CFS_TRY(stat_at(fd, de->d_name, AT_SYMLINK_NOFOLLOW, show(child_rel)));
    if (options_.skip_devices && (S_ISCHR(st.mode) || S_ISBLK(st.mode))) continue;
    tree::Node* child = tree_.new_node();
    child->name = tree_.keep(name);
    child->parent = &dir;
    dir.children.push_back(child);
    CFS_CHECK(load_node(fd, de->d_name, child_rel, *child, st));
    if (S_ISDIR(st.mode)) subdirs.push_back(child);
  }
  d.reset();
  for (tree::Node* sub : subdirs) CFS_CHECK(scan_dir(dirfd, *sub, join(rel, sub->name.str().c_str())));
  return {};
}

}  // namespace

Result<tree::Tree> scan_directory(const std::string& root, const ScanOptions& options, ContentReader& contents) {
  UniqueFd root_fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root_fd.valid()) return errno_error(errno, root);
  FileStat st = CFS_TRY(stat_fd(root_fd.get(), root));
  if (!S_ISDIR(st.mode)) return make_error(ENOTDIR, root + ": not a directory");
  tree::Tree tree;
  contents.set_root(tree, root_fd.get(), root, !options.skip_xattrs, {options.user_xattrs});
  Scanner scanner(options, tree, contents, root);
  tree::Node* top = tree.new_node();
  tree.set_root(top);
  auto walked = scanner.load_node(root_fd.get(), ".", "", *top, st);
  if (walked) walked = scanner.scan_dir(root_fd.get(), *top, "");
  if (!walked) {
    contents.cancel();  // the workers hold pointers into `tree`: stop them before it goes
    return walked.take_error();
  }
  tree.sort_children();
  scanner.place_linked_inodes(*top);
  return tree;
}

}  // namespace cfs::scan
