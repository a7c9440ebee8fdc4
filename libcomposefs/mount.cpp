// lcfs_mount_image() / lcfs_mount_fd() over lib/mount.
#include <cstring>

#include "libcomposefs/lcfs-mount.h"
#include "mount/mount.hpp"
#include "node.hpp"

using cfs::capi::fail;
using cfs::capi::guarded;

namespace {

// C's checks, made before the image is opened.
bool valid_options(const lcfs_mount_options_s* o) {
  if (!o || (o->flags & ~static_cast<uint32_t>(LCFS_MOUNT_FLAGS_MASK)) != 0) return false;
  if (o->n_objdirs == 0 || !o->objdirs) return false;
  if (!o->upperdir != !o->workdir) return false;  // both or neither
  if ((o->flags & LCFS_MOUNT_FLAGS_IDMAP) && o->idmap_fd < 0) return false;
  return true;
}

cfs::mount::Options to_options(const lcfs_mount_options_s& o) {
  cfs::mount::Options out;
  for (size_t i = 0; i < o.n_objdirs; i++) out.object_dirs.emplace_back(o.objdirs[i] ? o.objdirs[i] : "");
  if (o.expected_fsverity_digest) out.expected_digest = o.expected_fsverity_digest;
  if (o.flags & LCFS_MOUNT_FLAGS_REQUIRE_VERITY)
    out.verity = cfs::mount::Verity::require;
  else if (o.flags & LCFS_MOUNT_FLAGS_TRY_VERITY)
    out.verity = cfs::mount::Verity::try_;
  out.read_only = o.flags & LCFS_MOUNT_FLAGS_READONLY;
  if (o.upperdir) out.upperdir = o.upperdir;
  if (o.workdir) out.workdir = o.workdir;
  if (o.flags & LCFS_MOUNT_FLAGS_IDMAP) out.idmap_fd = o.idmap_fd;
  if (o.image_mountdir) out.image_mountdir = o.image_mountdir;
  return out;
}

int mount_image(const cfs::mount::Image& image, const char* mountpoint, const lcfs_mount_options_s* options) {
  if (!mountpoint || !valid_options(options)) return fail(EINVAL);
  return guarded<int>(-1, [&] {
    auto r = cfs::mount::mount(image, mountpoint, to_options(*options));
    return r ? 0 : fail(r.error().errnum);
  });
}

}  // namespace

extern "C" {

int lcfs_mount_image(const char* path, const char* mountpoint, lcfs_mount_options_s* options) {
  if (!path) return fail(EINVAL);
  return guarded<int>(-1, [&] { return mount_image({path, -1}, mountpoint, options); });
}

int lcfs_mount_fd(int fd, const char* mountpoint, lcfs_mount_options_s* options) {
  if (fd < 0) return fail(EBADF);
  return mount_image({"", fd}, mountpoint, options);
}

}  // extern "C"
