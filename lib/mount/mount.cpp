// mount(): checks, the image header, then EROFS layer + overlay with guards.
#include "mount/mount.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <optional>

#include "format/composefs.hpp"
#include "fsverity/fsverity.hpp"
#include "mount/internal.hpp"
#include "util/hex.hpp"
#include "util/io.hpp"

namespace cfs::mount {
namespace {

using detail::Force;

Result<void> validate(const Options& o) {
  if (o.object_dirs.empty()) return make_error(EINVAL, "No object dirs specified");
  for (const std::string& dir : o.object_dirs)
    if (dir.empty()) return make_error(EINVAL, "Empty object dir path");
  if (o.mount_flags & ~kSupportedMountFlags) return make_error(EINVAL, "Unsupported mount flags for composefs");
  if (o.upperdir.empty() != o.workdir.empty())
    return make_error(EINVAL, "Both workdir and upperdir must be specified if used");
  return {};
}

Result<fsverity::Digest> parse_digest(const std::string& hex) {
  // C (digest_to_raw) would take any even number of hex digits and, for "",
  // skip the check altogether; only a full SHA-256 digest (or, beyond C, a
  // SHA-512 one) is accepted here.
  auto d = format::parse_hex_digest(hex);
  if (!d) return make_error(EINVAL, "Invalid digest '" + hex + "': Invalid argument");
  return *d;
}

Result<void> check_digest(int fd, const std::string& expected_hex) {
  fsverity::Digest expected = CFS_TRY(parse_digest(expected_hex));
  auto found = fsverity::measure_fd(fd);
  if (!found) {
    int e = found.error().errnum;
    // C canonicalizes "no verity here" (ENODATA, EOPNOTSUPP, ENOTTY) to ENOVERITY;
    // so do we with ENOSYS too (an emulator that does not forward the ioctl).
    if (e == ENODATA || fsverity::verity_unsupported(e)) return make_error(kNoVerity, "Image has no fs-verity");
    // A verity digest of neither algorithm: C reports it as the wrong one.
    if (e == EINVAL) return make_error(kWrongVerity, "Image has wrong fs-verity");
    return found.take_error();
  }
  // C's message says "wrong fs-verity" (without "digest").
  if (*found != expected) return make_error(kWrongVerity, "Image has wrong fs-verity");
  return {};
}

// The composefs header's flags; EINVAL when this is not a composefs image.
Result<uint32_t> read_header_flags(int fd) {
  format::lcfs_erofs_header_s header;
  ssize_t n = ::pread(fd, &header, sizeof header, 0);
  if (n < 0) return errno_error(errno, "reading the image header");
  if (static_cast<size_t>(n) != sizeof header || header.magic.get() != format::LCFS_EROFS_MAGIC)
    return make_error(EINVAL, "Not a composefs image: Invalid argument");
  return header.flags.get();
}

Result<void> make_overlay(const detail::OverlaySpec& spec, const Force& force) {
  auto r = force.legacy ? Result<void>(make_error(ENOSYS, "")) : detail::mount_overlay_new(spec);
  if (r || r.error().errnum != ENOSYS) return r;
  auto legacy = detail::mount_overlay_legacy(spec, force);
  if (legacy || r.error().msg.empty()) return legacy;
  // Both refused: say why the new API was given up as well.
  Error e = legacy.take_error();
  e.msg += "; with the new mount API: " + r.error().msg;
  return e;
}

Result<void> mount_fd(const Image& image, const std::string& target, const Options& o) {
  if (o.expected_digest) CFS_CHECK(check_digest(image.fd, *o.expected_digest));
  uint32_t flags = CFS_TRY(read_header_flags(image.fd));
  bool has_acl = (flags & format::LCFS_EROFS_FLAGS_HAS_ACL) != 0;
  Force force = detail::force_from_env();

  // A caller-given image_mountdir is used as is and never removed.
  std::optional<detail::TempDir> tmp;
  if (o.image_mountdir.empty()) tmp.emplace(CFS_TRY(detail::TempDir::create("/tmp/.composefs.XXXXXX")));
  const std::string& dir = tmp ? tmp->path() : o.image_mountdir;
  CFS_CHECK(detail::mount_erofs_layer(image, has_acl, dir, o, force));
  // The EROFS layer is lazily unmounted as soon as the overlay holds it (or on
  // failure); declared after `tmp`, so it goes before the directory is removed.
  detail::MountGuard erofs_mount(dir);
  return make_overlay({dir, target, o}, force);
}

}  // namespace

Result<void> mount(const Image& image, const std::string& target, const Options& options) {
  CFS_CHECK(validate(options));
  if (image.fd >= 0) return mount_fd(image, target, options);
  UniqueFd fd(::open(image.path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return errno_error(errno, "Failed to open " + image.path);
  return mount_fd({image.path, fd.get()}, target, options);
}

}  // namespace cfs::mount
