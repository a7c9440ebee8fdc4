// Pieces of the mount module shared between its .cpp files; not a public API.
#pragma once

#include <string>
#include <string_view>

#include "mount/mount.hpp"
#include "util/result.hpp"
#include "util/unique_fd.hpp"

namespace cfs::mount::detail {

/// Fallbacks forced by CFS_MOUNT_FORCE (see mount.hpp).
struct Force {
  bool loop = false;
  bool legacy = false;
  bool nodata = false;
};
Force force_from_env();

/// A fresh directory from mkdtemp(), removed (rmdir) on destruction.
class TempDir {
 public:
  static Result<TempDir> create(std::string pattern);
  TempDir(TempDir&& o) noexcept : path_(std::move(o.path_)) { o.path_.clear(); }
  TempDir& operator=(TempDir&&) = delete;
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

/// Lazily unmounts (MNT_DETACH) a mount point on destruction unless dismissed.
class MountGuard {
 public:
  explicit MountGuard(std::string path) : path_(std::move(path)) {}
  MountGuard(const MountGuard&) = delete;
  MountGuard& operator=(const MountGuard&) = delete;
  ~MountGuard();

 private:
  std::string path_;
};

/// A read-only, autoclear loop device backed by an image fd. Destroying it
/// without keep() detaches the device (LOOP_CLR_FD); after keep() the device
/// goes away by itself once its last user (the EROFS mount) is gone.
class LoopDevice {
 public:
  static Result<LoopDevice> attach(int image_fd, const std::string& name);
  LoopDevice(LoopDevice&&) noexcept = default;
  LoopDevice& operator=(LoopDevice&&) = delete;
  ~LoopDevice();
  const std::string& path() const { return path_; }
  void keep() { keep_ = true; }

 private:
  LoopDevice(UniqueFd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}
  UniqueFd fd_;
  std::string path_;
  bool keep_ = false;
};

/// The last error line the kernel logged on an fs_context fd ("e ..." lines),
/// or "" when there is none. Drains the log.
std::string fs_context_error(int fs_fd);

/// errno_error() with the kernel's fs_context message appended when there is one.
Error fs_error(int errnum, const std::string& what, int fs_fd);

/// Mounts the EROFS image read-only on `dir` (file-backed, else a loop device).
Result<void> mount_erofs_layer(const Image& image, bool has_acl, const std::string& dir,
                               const Options& options, const Force& force);

/// What the overlay is built from.
struct OverlaySpec {
  const std::string& lower;  // where the EROFS layer is mounted
  const std::string& target;
  const Options& options;
};

/// New mount API overlay. Fails with errnum ENOSYS when the kernel's overlayfs
/// does not take these options, so the caller should try mount_overlay_legacy.
Result<void> mount_overlay_new(const OverlaySpec& spec);

/// mount(2) overlay: "lowerdir=L::D1::D2", then "lowerdir=L:D1:D2" on EINVAL.
Result<void> mount_overlay_legacy(const OverlaySpec& spec, const Force& force);

/// Options::mount_flags as fsmount()'s MOUNT_ATTR_* (read_only included).
unsigned mount_attributes(const Options& o);
/// Options::mount_flags as mount(2)'s MS_* for the legacy overlay (read_only included).
unsigned long legacy_mount_flags(const Options& o);

/// A path escaped for a legacy overlay option string: '\' before ',' ':' '\'.
std::string escape_legacy_path(std::string_view path);

/// The legacy option string, e.g. "metacopy=on,redirect_dir=on,lowerdir=L::D".
std::string legacy_overlay_options(const OverlaySpec& spec, bool data_only_layers);

}  // namespace cfs::mount::detail
