#include "scan/xattrs.hpp"

#include <sys/xattr.h>

#include "format/composefs.hpp"
#include "util/io.hpp"

namespace cfs::scan {
namespace {

namespace fmt = cfs::format;

// The two calls of one access method: by fd or by path (l* variants).
struct XattrAccess {
  virtual ~XattrAccess() = default;
  virtual ssize_t list(char* buf, size_t size) const = 0;
  virtual ssize_t get(const char* name, char* buf, size_t size) const = 0;
};

struct ByFd : XattrAccess {
  int fd;
  explicit ByFd(int f) : fd(f) {}
  ssize_t list(char* buf, size_t size) const override { return ::flistxattr(fd, buf, size); }
  ssize_t get(const char* name, char* buf, size_t size) const override { return ::fgetxattr(fd, name, buf, size); }
};

struct ByPath : XattrAccess {
  const char* path;
  explicit ByPath(const char* p) : path(p) {}
  ssize_t list(char* buf, size_t size) const override { return ::llistxattr(path, buf, size); }
  ssize_t get(const char* name, char* buf, size_t size) const override { return ::lgetxattr(path, name, buf, size); }
};

// Calls `fill(buf, size)` with a growing buffer until the value fits.
template <class F>
ssize_t read_sized(std::string& buf, F fill) {
  ssize_t len;
  while ((len = fill(buf.data(), buf.size())) < 0 && errno == ERANGE) {
    ssize_t need = fill(nullptr, 0);
    buf.resize(need > 0 ? static_cast<size_t>(need) : buf.size() * 2);
  }
  if (len >= 0) buf.resize(static_cast<size_t>(len));
  return len;
}

// C: read_xattrs, with C's per-inode accounting (limit 32767 bytes).
Result<void> read_all(const XattrAccess& access, const XattrFilter& filter, const std::string& shown,
                      util::SharedArena& strings, tree::Node& node) {
  std::string names(256, '\0');
  if (read_sized(names, [&](char* b, size_t n) { return access.list(b, n); }) < 0)
    return errno == ENOTSUP ? Result<void>{} : errno_error(errno, shown);
  size_t budget = 0;
  for (size_t off = 0; off < names.size();) {
    std::string key(names.c_str() + off);
    off += key.size() + 1;
    if (filter.user_only && !key.starts_with("user.")) continue;
    std::string value(256, '\0');
    if (read_sized(value, [&](char* b, size_t n) { return access.get(key.c_str(), b, n); }) < 0)
      return errno_error(errno, shown + ": xattr " + key);
    budget += (node.xattrs.empty() ? fmt::LCFS_XATTR_HEADER_SIZE : 0) + 7 + key.size() + value.size();
    if (budget > fmt::LCFS_INODE_EXTERNAL_XATTR_MAX) return make_error(ERANGE, shown + ": xattrs take more than 32767 bytes");
    auto kept = tree::keep_xattr(strings, key, value);
    node.set_xattr(kept.name, kept.value);
  }
  return {};
}

}  // namespace

Result<void> read_xattrs_fd(int fd, const XattrFilter& filter, const std::string& shown,
                           util::SharedArena& strings, tree::Node& node) {
  return read_all(ByFd(fd), filter, shown, strings, node);
}

Result<void> read_xattrs_path(const std::string& path, const XattrFilter& filter, util::SharedArena& strings,
                             tree::Node& node) {
  return read_all(ByPath(path.c_str()), filter, path, strings, node);
}

}  // namespace cfs::scan
