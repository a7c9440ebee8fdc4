// Mounting a composefs image: an EROFS metadata image stacked under overlayfs
// with one or more content-addressed object directories as data-only layers
// (C: lcfs_mount_image / lcfs_mount_fd).
//
// How, chosen at run time from what the kernel accepts:
//   1. digest: FS_IOC_MEASURE_VERITY on the image before anything is mounted.
//   2. EROFS: fsopen("erofs") with the image file itself as source (file-backed
//      EROFS, Linux >= 6.12); on ENOTBLK a read-only autoclear loop device.
//      The EROFS mount is put on a private temporary directory, used as the
//      overlay's lower layer and lazily unmounted (and the directory removed)
//      before mount() returns, as C does; it is never visible after the call.
//   3. overlay: fsopen("overlay") with lowerdir+/datadir+ (Linux >= 6.7); when
//      refused, legacy mount(2) with "lowerdir=L::D1::D2", then "L:D1:D2".
//
// Test switch: the environment variable CFS_MOUNT_FORCE, a comma-separated list of
//   loop    skip the file-backed EROFS attempt, go straight to a loop device
//   legacy  skip the new-API overlay, use the mount(2) option string
//   nodata  (with legacy) skip the "::" data-only form, use plain ":" layers
// lets tests run every fallback on a kernel that would not need them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "util/result.hpp"

namespace cfs::mount {

enum class Verity {
  none,     // no verity checks
  try_,     // verity=require when the kernel supports it, else nothing (C: TRY_VERITY)
  require,  // verity=require or fail (C: REQUIRE_VERITY)
};

struct Options {
  std::vector<std::string> object_dirs;  // at least one; lookup order as given
  /// Expected fs-verity digest of the image, 64 hex digits (SHA-256) or 128
  /// (SHA-512); checked before mounting.
  std::optional<std::string> expected_digest;
  Verity verity = Verity::none;
  bool read_only = false;
  /// Mount flags of the overlay the user sees, as mount(2)'s MS_* (MS_NOSUID,
  /// MS_NODEV, MS_NOEXEC, MS_NOATIME, MS_NODIRATIME, MS_RELATIME, MS_STRICTATIME,
  /// MS_NOSYMFOLLOW, MS_RDONLY: per-mount attributes; MS_SYNCHRONOUS, MS_DIRSYNC,
  /// MS_LAZYTIME, MS_MANDLOCK: the overlay's superblock). Others are refused.
  unsigned long mount_flags = 0;
  /// Security options handed to the overlay as NAME=VALUE (SELinux: context=,
  /// fscontext=, defcontext=, rootcontext=); VALUE as written, quotes included.
  std::vector<std::string> security_options;
  std::string upperdir;  // both or neither of upperdir/workdir
  std::string workdir;
  int idmap_fd = -1;  // user namespace fd for an idmapped EROFS layer, or -1
  /// Where to put the EROFS mount while building the overlay; empty: a fresh
  /// /tmp/.composefs.XXXXXX directory, removed afterwards.
  std::string image_mountdir;
};

/// The MS_* flags Options::mount_flags may hold.
inline constexpr unsigned long kSupportedMountFlags = 0x1 /*MS_RDONLY*/ | 0x2 /*MS_NOSUID*/ | 0x4 /*MS_NODEV*/ |
    0x8 /*MS_NOEXEC*/ | 0x10 /*MS_SYNCHRONOUS*/ | 0x40 /*MS_MANDLOCK*/ | 0x80 /*MS_DIRSYNC*/ |
    0x100 /*MS_NOSYMFOLLOW*/ | 0x400 /*MS_NOATIME*/ | 0x800 /*MS_NODIRATIME*/ | 0x200000 /*MS_RELATIME*/ |
    0x1000000 /*MS_STRICTATIME*/ | 0x2000000 /*MS_LAZYTIME*/;

/// The image to mount: an open fd (read-only is enough) or a path. `path` is also
/// used for the loop device's name when fd is given.
struct Image {
  std::string path;
  int fd = -1;
};

/// Error numbers for the C library's special verity failures (lcfs-mount.h).
inline constexpr int kNoVerity = ENOTTY;      // ENOVERITY
inline constexpr int kWrongVerity = EILSEQ;   // EWRONGVERITY

/// Mounts `image` at `target`. On failure nothing is left mounted, no loop
/// device stays attached and no temporary directory remains. Verity failures
/// carry errnum kNoVerity / kWrongVerity and C's messages.
Result<void> mount(const Image& image, const std::string& target, const Options& options);

}  // namespace cfs::mount
