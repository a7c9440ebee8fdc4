// Nodes from the filesystem: one file (lcfs_load_node_from_file), a file's
// contents (lcfs_node_set_from_content) and a whole directory (lcfs_build),
// with the choices composefs-c 1.0.8 makes: nlink 1, mtime from stat unless
// USE_EPOCH, xattrs in llistxattr order, 1-64 byte files inlined.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <climits>
#include <cstring>
#include <memory>
#include <string>

#include "node.hpp"
#include "util/file_stat.hpp"
#include "util/hex.hpp"
#include "util/io.hpp"
#include "util/unique_fd.hpp"

using cfs::UniqueFd;
using cfs::capi::fail;
using cfs::capi::guarded;

namespace {

constexpr int kAllBuildFlags = LCFS_BUILD_SKIP_XATTRS | LCFS_BUILD_USE_EPOCH | LCFS_BUILD_SKIP_DEVICES |
                               LCFS_BUILD_COMPUTE_DIGEST | LCFS_BUILD_NO_INLINE | LCFS_BUILD_USER_XATTRS |
                               LCFS_BUILD_BY_DIGEST;

// C's check, made by every entry point that takes build flags.
bool valid_build_flags(int flags) {
  if ((flags & ~kAllBuildFlags) != 0) return false;
  return !((flags & LCFS_BUILD_SKIP_XATTRS) && (flags & LCFS_BUILD_USER_XATTRS));  // they conflict
}

struct NodeRef {  // owns one reference
  void operator()(lcfs_node_s* n) const { lcfs_node_unref(n); }
};
using OwnedNode = std::unique_ptr<lcfs_node_s, NodeRef>;

// "/proc/self/fd/N" names the file itself, symlinks included, for the
// path-based xattr calls (there are no *at() variants).
int read_xattrs(lcfs_node_s* node, int dirfd, const char* fname, int flags) {
  UniqueFd fd(::openat(dirfd, fname, O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return -1;
  std::string path = cfs::proc_fd_path(fd.get());
  ssize_t size = ::listxattr(path.c_str(), nullptr, 0);
  if (size < 0) return -1;
  std::string names(size, '\0');
  size = ::listxattr(path.c_str(), names.data(), names.size());
  if (size < 0) return -1;
  names.resize(size);
  for (size_t at = 0; at < names.size(); at += std::strlen(names.c_str() + at) + 1) {
    const char* name = names.c_str() + at;
    if ((flags & LCFS_BUILD_USER_XATTRS) && std::strncmp(name, "user.", 5) != 0) continue;
    ssize_t len = ::getxattr(path.c_str(), name, nullptr, 0);
    if (len < 0) return -1;
    std::string value(len, '\0');
    len = ::getxattr(path.c_str(), name, value.data(), value.size());
    if (len < 0) return -1;
    if (lcfs_node_set_xattr(node, name, value.data(), len) < 0) return -1;
  }
  return 0;
}

int read_exactly(int fd, uint8_t* buf, size_t size) {
  while (size > 0) {
    ssize_t n = ::read(fd, buf, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n == 0) return fail(ENODATA);  // the file shrank
    buf += n;
    size -= n;
  }
  return 0;
}

// "xx/yyyy...": the object path of a digest in a composefs store.
std::string object_path(const uint8_t* digest) {
  std::string hex = cfs::to_hex({digest, LCFS_DIGEST_SIZE});
  return hex.substr(0, 2) + "/" + hex.substr(2);
}

lcfs_node_s* load_file(int dirfd, const char* fname, int flags) {
  auto stat = cfs::stat_at(dirfd, fname, AT_SYMLINK_NOFOLLOW, fname);  // 64-bit times on 32-bit too
  if (!stat) return errno = stat.error().errnum, nullptr;
  const cfs::FileStat& st = *stat;
  OwnedNode node(lcfs_node_new());
  if (!node) return nullptr;
  node->mode = st.mode;
  node->uid = st.uid;
  node->gid = st.gid;
  node->rdev = static_cast<uint32_t>(st.rdev);
  node->size = st.size;
  if (S_ISREG(st.mode)) {
    if (lcfs_node_set_from_content(node.get(), dirfd, fname, flags) < 0) return nullptr;
  } else if (S_ISLNK(st.mode)) {
    char target[PATH_MAX + 1];
    ssize_t n = ::readlinkat(dirfd, fname, target, sizeof target - 1);
    if (n < 0) return nullptr;
    target[n] = '\0';
    if (lcfs_node_set_symlink_payload(node.get(), target) < 0) return nullptr;
  }
  if (!(flags & LCFS_BUILD_USE_EPOCH)) {
    node->mtime_sec = st.mtime.sec;
    node->mtime_nsec = st.mtime.nsec;
  }
  if (!(flags & LCFS_BUILD_SKIP_XATTRS) && read_xattrs(node.get(), dirfd, fname, flags) < 0) return nullptr;
  return node.release();
}

struct BuildError {
  int errnum;
  std::string path;  // relative to the directory lcfs_build was given
};

std::string join(const char* dir, const std::string& sub) { return sub.empty() ? dir : std::string(dir) + "/" + sub; }

// Depth-first, children added in readdir order (add_child sorts them).
lcfs_node_s* build(int dirfd, const char* fname, int flags, BuildError& err) {
  OwnedNode node(load_file(dirfd, fname, flags));
  if (!node) return err = {errno, fname}, nullptr;
  if (!node->is_dir()) return node.release();
  int dfd = ::openat(dirfd, fname, O_DIRECTORY | O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0) return err = {errno, fname}, nullptr;
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::fdopendir(dfd), ::closedir);
  if (!dir) {
    err = {errno, fname};
    ::close(dfd);
    return nullptr;
  }
  for (;;) {
    errno = 0;
    dirent* de = ::readdir(dir.get());
    if (!de) {
      if (errno) return err = {errno, fname}, nullptr;
      break;
    }
    if (std::strcmp(de->d_name, ".") == 0 || std::strcmp(de->d_name, "..") == 0) continue;
    unsigned char type = de->d_type;
    if (type == DT_UNKNOWN) {
      auto st = cfs::stat_at(dfd, de->d_name, AT_SYMLINK_NOFOLLOW, de->d_name);
      if (!st) return err = {st.error().errnum, join(fname, de->d_name)}, nullptr;
      if (S_ISDIR(st->mode)) type = DT_DIR;
    }
    lcfs_node_s* child;
    if (type == DT_DIR) {
      child = build(dfd, de->d_name, flags, err);
      if (!child) return err.path = join(fname, err.path), nullptr;
    } else {
      if ((flags & LCFS_BUILD_SKIP_DEVICES) && (type == DT_BLK || type == DT_CHR)) continue;
      child = load_file(dfd, de->d_name, flags);
      if (!child) return err = {errno, join(fname, de->d_name)}, nullptr;
    }
    if (lcfs_node_add_child(node.get(), child, de->d_name) < 0) {
      err = {errno, fname};
      lcfs_node_unref(child);
      return nullptr;
    }
  }
  return node.release();
}

}  // namespace

extern "C" {

int lcfs_node_set_from_content(lcfs_node_s* node, int dirfd, const char* fname, int buildflags) {
  if (!node || !fname) return fail(EINVAL);
  bool empty = node->size == 0;
  bool by_digest = buildflags & LCFS_BUILD_BY_DIGEST;
  bool keep_digest = buildflags & LCFS_BUILD_COMPUTE_DIGEST;
  bool do_digest = !empty && (keep_digest || by_digest);
  bool do_inline = !empty && !(buildflags & LCFS_BUILD_NO_INLINE) && node->size <= LCFS_RECOMMENDED_INLINE_CONTENT_MAX;
  if (!do_digest && !do_inline) return 0;
  return guarded<int>(-1, [&] {
    UniqueFd fd(::openat(dirfd, fname, O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return -1;
    if (do_digest) {
      uint8_t digest[LCFS_DIGEST_SIZE];
      if (cfs::capi::compute_whole_file_digest(digest, fd.get()) < 0) return -1;
      lcfs_node_set_fsverity_digest(node, digest);
      if (by_digest && lcfs_node_set_payload(node, object_path(node->digest->data()).c_str()) < 0) return -1;
      if (!keep_digest) node->digest.reset();  // only needed for the payload
      ::lseek(fd.get(), 0, SEEK_SET);
    }
    if (do_inline) {
      uint8_t buf[LCFS_RECOMMENDED_INLINE_CONTENT_MAX];
      if (read_exactly(fd.get(), buf, node->size) < 0) return -1;
      if (lcfs_node_set_content(node, buf, node->size) < 0) return -1;
    }
    return 0;
  });
}

lcfs_node_s* lcfs_load_node_from_file(int dirfd, const char* fname, int buildflags) {
  if (!fname || !valid_build_flags(buildflags)) return errno = EINVAL, nullptr;
  return guarded<lcfs_node_s*>(nullptr, [&] { return load_file(dirfd, fname, buildflags); });
}

lcfs_node_s* lcfs_build(int dirfd, const char* fname, int buildflags, char** failed_path_out) {
  if (!fname || !valid_build_flags(buildflags)) {
    if (failed_path_out && fname) *failed_path_out = ::strdup(fname);
    return errno = EINVAL, nullptr;
  }
  return guarded<lcfs_node_s*>(nullptr, [&]() -> lcfs_node_s* {
    BuildError err{0, {}};
    lcfs_node_s* root = build(dirfd, fname, buildflags, err);
    if (root) return root;
    if (failed_path_out) *failed_path_out = ::strdup(err.path.c_str());
    errno = err.errnum;
    return nullptr;
  });
}

}  // extern "C"
