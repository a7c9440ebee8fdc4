// The options of an fstab line that are not composefs's, classified by
// util-linux's libmount exactly as mount(8) classifies them: VFS flags
// (MNT_LINUX_MAP: nosuid, nodev, noexec, noatime, ...), userspace options
// (MNT_USERSPACE_MAP: defaults, nofail, _netdev, x-*, comment=, ...) and the
// filesystem's own, of which we take only the SELinux context options.
//
// libmount is loaded (dlopen) only when an option string has such options:
// linking it would make every mount load libmount, libblkid, libselinux and
// libpcre2 (bench/mount-umount.sh, doc/benchmarks.md).
#pragma once

#include <string>
#include <vector>

#include "util/result.hpp"

namespace cfs::mount_helper {

struct VfsOptions {
  unsigned long mount_flags = 0;            // MS_* from MNT_LINUX_MAP (and "user"'s implied ones)
  std::vector<std::string> security;        // context=, fscontext=, defcontext=, rootcontext=
  std::vector<std::string> ignored;         // userspace options: mount(8)'s, not the kernel's
  std::vector<std::string> unknown;         // none of the above (refused unless -s)
};

/// Classifies `optstr` (comma-separated, no composefs options in it).
Result<VfsOptions> classify_vfs_options(const std::string& optstr);

}  // namespace cfs::mount_helper
