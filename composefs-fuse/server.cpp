// The request handlers. Nothing here changes once mounted: entries, attributes
// and directory listings are cached by the kernel for as long as it likes
// (kTimeout, keep_cache, cache_readdir), and file data is spliced straight from
// the object's fd into the FUSE device.
#include "server.hpp"

#include <sys/stat.h>
#include <sys/statvfs.h>
#include <syslog.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "util/hex.hpp"

namespace cfs::fuse_tool {
namespace {

using fuse::FileNode;

// The image never changes: let the kernel keep what it learns "forever" (a day;
// a bigger value gains nothing). composefs-c's server uses an hour.
constexpr double kTimeout = 86400.0;

Server& server(fuse_req_t req) { return *static_cast<Server*>(fuse_req_userdata(req)); }

struct stat to_stat(uint32_t ino, const FileNode& n) {
  struct stat st {};
  const auto& s = n.stored;
  st.st_ino = ino;
  st.st_mode = s.mode;
  st.st_nlink = s.nlink;
  st.st_uid = s.uid;
  st.st_gid = s.gid;
  st.st_rdev = n.rdev();
  st.st_size = static_cast<off_t>(s.size);
  st.st_blksize = 4096;
  st.st_blocks = static_cast<blkcnt_t>((s.size + 511) / 512);
  // EROFS has one time per inode: atime and ctime show the mtime.
  st.st_mtim = {static_cast<time_t>(s.mtime_sec), static_cast<long>(s.mtime_nsec)};
  st.st_atim = st.st_mtim;
  st.st_ctim = st.st_mtim;
  return st;
}

fuse_entry_param entry_of(uint32_t ino, const FileNode* n) {
  fuse_entry_param e{};
  e.ino = ino;  // 0 with no node: a negative entry, cached as long as a positive one
  e.attr_timeout = kTimeout;
  e.entry_timeout = kTimeout;
  if (n) e.attr = to_stat(ino, *n);
  return e;
}

void op_init(void* userdata, fuse_conn_info* conn) {
  auto& s = *static_cast<Server*>(userdata);
  auto want = [conn](unsigned cap) {
    if (conn->capable & cap) conn->want |= cap;
  };
  want(FUSE_CAP_SPLICE_WRITE);  // fuse_reply_data from an fd: splice, no copy
  want(FUSE_CAP_CACHE_SYMLINKS);
  want(FUSE_CAP_READDIRPLUS);
  // Always readdirplus: a walk stats every name it lists.
  conn->want &= ~FUSE_CAP_READDIRPLUS_AUTO;
  if (s.options().use_acl) want(FUSE_CAP_POSIX_ACL);
  // Files are always opened through us (never FUSE_CAP_NO_OPEN_SUPPORT): an
  // object that cannot be used must fail the open, with the kernel mount's
  // errno, not a later read; with `verity` the first open also checks it.
  const bool no_opendir = (conn->capable & FUSE_CAP_NO_OPENDIR_SUPPORT) != 0;
  if (no_opendir) conn->want |= FUSE_CAP_NO_OPENDIR_SUPPORT;
  s.set_no_opendir(no_opendir);
}

void op_lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  const auto& v = server(req).view();
  const FileNode* dir = v.node(parent);
  if (!dir) return void(fuse_reply_err(req, ENOENT));
  if (dir->type() != S_IFDIR) return void(fuse_reply_err(req, ENOTDIR));
  uint32_t ino = v.lookup(static_cast<uint32_t>(parent), name);
  fuse_entry_param e = entry_of(ino, v.node(ino));
  fuse_reply_entry(req, &e);
}

void op_getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  const FileNode* n = server(req).view().node(ino);
  if (!n) return void(fuse_reply_err(req, ENOENT));
  struct stat st = to_stat(static_cast<uint32_t>(ino), *n);
  fuse_reply_attr(req, &st, kTimeout);
}

void op_readlink(fuse_req_t req, fuse_ino_t ino) {
  auto& s = server(req);
  const FileNode* n = s.view().node(ino);
  if (!n || n->type() != S_IFLNK) return void(fuse_reply_err(req, EINVAL));
  auto target = s.view().symlink_target(*n);
  if (!target) return void(fuse_reply_err(req, EIO));
  fuse_reply_readlink(req, target->c_str());
}

void op_opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  // ENOSYS once: the kernel opens directories itself from then on, keeping
  // their pages and listings cached (FOPEN_KEEP_CACHE | FOPEN_CACHE_DIR).
  if (server(req).no_opendir()) return void(fuse_reply_err(req, ENOSYS));
  const FileNode* n = server(req).view().node(ino);
  if (!n) return void(fuse_reply_err(req, ENOENT));
  if (n->type() != S_IFDIR) return void(fuse_reply_err(req, ENOTDIR));
  fi->cache_readdir = 1;
  fi->keep_cache = 1;
  fuse_reply_open(req, fi);
}

// Offsets: 0 starts, entry k (0 ".", 1 "..", 2.. the children) is followed by k+1.
void do_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, bool plus) {
  const auto& v = server(req).view();
  const FileNode* dir = v.node(ino);
  if (!dir || dir->type() != S_IFDIR) return void(fuse_reply_err(req, ENOTDIR));
  auto children = v.entries(*dir);
  std::unique_ptr<char[]> buf(new char[size]);
  size_t used = 0;
  for (auto k = static_cast<size_t>(off); k < children.size() + 2; ++k) {
    uint32_t child = k == 0 ? static_cast<uint32_t>(ino) : k == 1 ? dir->parent : children[k - 2].ino;
    std::string name = k == 0 ? "." : k == 1 ? ".." : std::string(children[k - 2].name);
    const FileNode* n = v.node(child);
    size_t len;
    if (plus) {
      fuse_entry_param e = entry_of(child, n);
      len = fuse_add_direntry_plus(req, buf.get() + used, size - used, name.c_str(), &e, static_cast<off_t>(k + 1));
    } else {
      struct stat st = to_stat(child, *n);
      len = fuse_add_direntry(req, buf.get() + used, size - used, name.c_str(), &st, static_cast<off_t>(k + 1));
    }
    if (len > size - used) break;
    used += len;
  }
  fuse_reply_buf(req, buf.get(), used);
}

void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info*) {
  do_readdir(req, ino, size, off, false);
}

void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info*) {
  do_readdir(req, ino, size, off, true);
}

void op_open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  auto& s = server(req);
  const FileNode* n = s.view().node(ino);
  if (!n) return void(fuse_reply_err(req, ENOENT));
  if (n->type() != S_IFREG) return void(fuse_reply_err(req, EINVAL));
  if ((fi->flags & O_ACCMODE) != O_RDONLY) return void(fuse_reply_err(req, EROFS));
  fi->keep_cache = 1;
  fi->noflush = 1;
  fi->fh = 0;  // unused: reads take the object's fd from the cache
  if (!n->redirect.empty()) {
    // Resolved now (and kept in the fd cache for the reads): an escaping,
    // symlinked, missing or non-regular object fails here as on the kernel mount.
    UniqueFd owned;
    auto fd = s.object_fd(static_cast<uint32_t>(ino), *n, owned);
    if (!fd) return void(fuse_reply_err(req, fd.error().errnum));
    if (s.options().verity)
      if (int err = s.verify(static_cast<uint32_t>(ino), *n)) return void(fuse_reply_err(req, err));
  }
  fuse_reply_open(req, fi);
}

void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info*) {
  auto& s = server(req);
  const FileNode* n = s.view().node(ino);
  if (!n) return void(fuse_reply_err(req, ENOENT));
  if (!n->redirect.empty()) {
    UniqueFd owned;
    auto fd = s.object_fd(static_cast<uint32_t>(ino), *n, owned);
    if (!fd) return void(fuse_reply_err(req, EIO));
    fuse_bufvec buf{};  // FUSE_BUFVEC_INIT is a C compound literal
    buf.count = 1;
    buf.buf[0].size = size;
    buf.buf[0].flags = static_cast<fuse_buf_flags>(FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK);
    buf.buf[0].fd = *fd;
    buf.buf[0].pos = off;
    return void(fuse_reply_data(req, &buf, FUSE_BUF_SPLICE_MOVE));
  }
  auto data = s.view().stored_data(*n);
  if (!data) return void(fuse_reply_err(req, EIO));
  const uint64_t file_size = n->stored.size;
  const auto start = std::min<uint64_t>(static_cast<uint64_t>(off), file_size);
  const auto len = std::min<uint64_t>(size, file_size - start);
  // A chunk-based file without a redirect is all holes: zeros, as EROFS reads it.
  if (data->size() != file_size) data->assign(len, '\0');
  fuse_reply_buf(req, data->data() + (data->size() == file_size ? start : 0), len);
}

bool is_acl_name(std::string_view name) { return name.starts_with("system.posix_acl_"); }

// Which xattrs the caller may see listed: as in the kernel mount, trusted.* only
// for a privileged caller (approximated by uid 0: FUSE passes no capabilities),
// ACLs only when they are served.
bool listed(fuse_req_t req, std::string_view name) {
  if (is_acl_name(name)) return server(req).options().use_acl;
  return !name.starts_with("trusted.") || fuse_req_ctx(req)->uid == 0;
}

void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size) {
  auto& s = server(req);
  const FileNode* n = s.view().node(ino);
  if (!n) return void(fuse_reply_err(req, ENOENT));
  auto xs = s.view().xattrs(*n);
  if (!xs) return void(fuse_reply_err(req, EIO));
  std::string names;
  for (const auto& x : *xs)
    if (listed(req, x.name)) names.append(x.name).push_back('\0');
  if (size == 0) return void(fuse_reply_xattr(req, names.size()));
  if (size < names.size()) return void(fuse_reply_err(req, ERANGE));
  fuse_reply_buf(req, names.data(), names.size());
}

void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size) {
  auto& s = server(req);
  const FileNode* n = s.view().node(ino);
  if (!n) return void(fuse_reply_err(req, ENOENT));
  // Like C's server: EOPNOTSUPP rather than ENODATA tells the kernel to stop
  // asking for ACLs when none are served.
  if (is_acl_name(name) && !s.options().use_acl) return void(fuse_reply_err(req, EOPNOTSUPP));
  auto xs = s.view().xattrs(*n);
  if (!xs) return void(fuse_reply_err(req, EIO));
  for (const auto& x : *xs) {
    if (x.name != name) continue;
    if (size == 0) return void(fuse_reply_xattr(req, x.value.size()));
    if (size < x.value.size()) return void(fuse_reply_err(req, ERANGE));
    return void(fuse_reply_buf(req, reinterpret_cast<const char*>(x.value.data()), x.value.size()));
  }
  fuse_reply_err(req, ENODATA);
}

void op_statfs(fuse_req_t req, fuse_ino_t) {
  struct statvfs st {};
  st.f_bsize = 4096;
  st.f_frsize = 4096;
  st.f_files = server(req).view().inode_count();
  st.f_namemax = 255;
  fuse_reply_statfs(req, &st);
}

fuse_lowlevel_ops make_operations() {
  fuse_lowlevel_ops ops{};
  ops.init = op_init;
  ops.lookup = op_lookup;
  ops.getattr = op_getattr;
  ops.readlink = op_readlink;
  ops.opendir = op_opendir;
  ops.readdir = op_readdir;
  ops.readdirplus = op_readdirplus;
  ops.open = op_open;
  ops.read = op_read;
  ops.listxattr = op_listxattr;
  ops.getxattr = op_getxattr;
  ops.statfs = op_statfs;
  // No forget: inodes live as long as the mount, so lookup counts do not matter.
  return ops;
}

}  // namespace

const fuse_lowlevel_ops& operations() {
  static const fuse_lowlevel_ops ops = make_operations();
  return ops;
}

Server::Server(const fuse::View& view, const store::ObjectDirs& objects, ServerOptions opts)
    : view_(view), objects_(objects), opts_(opts), verdicts_(new std::atomic<uint8_t>[view.inode_count() + 1]{}),
      logged_(new std::atomic<bool>[view.inode_count() + 1]{}),
      fds_(view, objects, opts.max_cached_fds), prefetcher_(view, fds_) {}

Result<int> Server::object_fd(uint32_t ino, const FileNode& n, UniqueFd& owned) {
  bool opened = false;
  auto fd = fds_.get(ino, n, owned, &opened);
  // Once per file: a hostile image must not make every read a log line.
  if (!fd && !logged_[ino].exchange(true, std::memory_order_relaxed)) log(fd.error().msg);
  if (opened && opts_.prefetch) prefetcher_.file_opened_in(n.parent);
  return fd;
}

int Server::verify(uint32_t ino, const FileNode& node) {
  enum : uint8_t { kUnknown, kGood, kBad };
  uint8_t verdict = verdicts_[ino].load(std::memory_order_acquire);
  if (verdict == kUnknown) {
    // Measured through an fd of its own: the digest reads from the file offset.
    auto fd = objects_.open_object(node.redirect);
    std::string why;
    if (!fd) {
      why = fd.error().msg;
    } else if (!node.digest) {
      why = "no fs-verity digest recorded in the image";
    } else if (auto got = fsverity::file_digest(fd->get(), node.digest->alg()); !got) {
      why = got.error().msg;
    } else if (*got != *node.digest) {
      why = "fs-verity digest " + to_hex(*got) + ", the image expects " + to_hex(*node.digest);
    }
    verdict = why.empty() ? kGood : kBad;
    verdicts_[ino].store(verdict, std::memory_order_release);
    if (verdict == kBad) log("object " + std::string(node.redirect) + ": " + why);
  }
  return verdict == kGood ? 0 : EIO;
}

void Server::log(const std::string& line) const {
  if (opts_.log_stderr)
    std::fprintf(stderr, "composefs-fuse: %s\n", line.c_str());
  else
    ::syslog(LOG_ERR, "%s", line.c_str());
}

}  // namespace cfs::fuse_tool
