// mount.composefs's second way to mount: composefs-fuse (through fusermount3
// when unprivileged), for users who may not mount EROFS and overlayfs, or
// kernels without them. C's mount.composefs has no such fallback.
#pragma once

#include <string>

#include "options.hpp"
#include "util/result.hpp"

namespace cfs::mount_helper {

/// Whether a kernel mount that failed with `kernel` should be retried with
/// composefs-fuse: never with -o nofuse or options FUSE cannot serve (upperdir,
/// idmap); for root only when the kernel lacks a filesystem (ENODEV) or the
/// caller lacks the capability (EPERM, EACCES); for anyone else on any failure,
/// since their kernel mount can never succeed.
bool should_fall_back(const HelperOptions& h, const Error& kernel);

/// Refuses options composefs-fuse cannot serve (with -o fuse).
Result<void> check_fuse_options(const HelperOptions& h);

/// The composefs-fuse program: $COMPOSEFS_FUSE if set, else the installed one.
std::string fuse_program();

/// Runs composefs-fuse for `image` on `target` with the same options and waits
/// until it has mounted and gone to the background (or failed: its own message
/// is on stderr already).
Result<void> mount_with_fuse(const HelperOptions& h, const std::string& image, const std::string& target);

}  // namespace cfs::mount_helper
