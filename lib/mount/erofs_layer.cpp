// The EROFS layer: the image mounted read-only on a directory, file-backed when
// the kernel can (Linux >= 6.12), else through a loop device.
#include <fcntl.h>
#include <sys/mount.h>

#include <cerrno>

#include "mount/internal.hpp"
#include "util/io.hpp"

namespace cfs::mount::detail {
namespace {

struct ErofsParams {
  const std::string& source;  // a regular file (/proc/self/fd/N) or a block device
  const std::string& name;    // for messages
  const std::string& dir;
  bool has_acl;
  int idmap_fd;
};

Result<void> set_flag(int fs_fd, const char* key) {
  if (::fsconfig(fs_fd, FSCONFIG_SET_FLAG, key, nullptr, 0) < 0)
    return fs_error(errno, std::string("EROFS option ") + key, fs_fd);
  return {};
}

Result<void> configure(int fs_fd, const ErofsParams& p) {
  if (::fsconfig(fs_fd, FSCONFIG_SET_STRING, "source", p.source.c_str(), 0) < 0)
    return fs_error(errno, "EROFS source " + p.name, fs_fd);
  CFS_CHECK(set_flag(fs_fd, "ro"));
  // Like C: images without ACLs are mounted noacl, which saves xattr lookups.
  if (!p.has_acl) CFS_CHECK(set_flag(fs_fd, "noacl"));
  if (::fsconfig(fs_fd, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) < 0)
    return fs_error(errno, "EROFS mount of " + p.name, fs_fd);
  return {};
}

Result<void> set_idmap(int mnt_fd, int userns_fd) {
  mount_attr attr{};
  attr.attr_set = MOUNT_ATTR_IDMAP;
  attr.userns_fd = static_cast<uint64_t>(userns_fd);
  if (::mount_setattr(mnt_fd, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
    return errno_error(errno, "idmap of the EROFS mount");
  return {};
}

// New mount API; errnum ENOSYS when the kernel has no fsopen().
Result<void> mount_new_api(const ErofsParams& p) {
  UniqueFd fs(::fsopen("erofs", FSOPEN_CLOEXEC));
  if (!fs.valid()) return errno_error(errno, "fsopen erofs");
  CFS_CHECK(configure(fs.get(), p));
  UniqueFd mnt(::fsmount(fs.get(), FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY));
  if (!mnt.valid()) return fs_error(errno, "fsmount erofs", fs.get());
  if (p.idmap_fd >= 0) CFS_CHECK(set_idmap(mnt.get(), p.idmap_fd));
  if (::move_mount(mnt.get(), "", AT_FDCWD, p.dir.c_str(), MOVE_MOUNT_F_EMPTY_PATH) < 0)
    return errno_error(errno, "attaching the EROFS mount at " + p.dir);
  return {};
}

// Kernels without fsopen(): mount(2). Idmapped mounts need the new API.
Result<void> mount_legacy(const ErofsParams& p) {
  if (p.idmap_fd >= 0) return make_error(ENOTSUP, "idmap needs the new mount API: Operation not supported");
  if (::mount(p.source.c_str(), p.dir.c_str(), "erofs", MS_RDONLY, p.has_acl ? nullptr : "noacl") < 0)
    return errno_error(errno, "EROFS mount of " + p.name);
  return {};
}

Result<void> mount_from(const ErofsParams& p) {
  auto r = mount_new_api(p);
  if (!r && r.error().errnum == ENOSYS) return mount_legacy(p);
  return r;
}

}  // namespace

Result<void> mount_erofs_layer(const Image& image, bool has_acl, const std::string& dir,
                               const Options& options, const Force& force) {
  std::string self = proc_fd_path(image.fd);
  const std::string& name = image.path.empty() ? self : image.path;
  if (!force.loop) {
    auto r = mount_from({self, name, dir, has_acl, options.idmap_fd});
    // ENOTBLK: this kernel's EROFS wants a block device (no file-backed mounts).
    if (r || r.error().errnum != ENOTBLK) return r;
  }
  auto loop = CFS_TRY(LoopDevice::attach(image.fd, name));
  std::string loop_name = name + " (" + loop.path() + ")";
  CFS_CHECK(mount_from({loop.path(), loop_name, dir, has_acl, options.idmap_fd}));
  loop.keep();  // autoclear: detached when the EROFS superblock goes away
  return {};
}

}  // namespace cfs::mount::detail
