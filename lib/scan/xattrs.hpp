// Reading a file's extended attributes into a tree node, in llistxattr order as
// C's read_xattrs does, through an open fd (no path lookup) or a path (for
// symlinks, devices and other files that cannot be opened).
#pragma once

#include <string>

#include "tree/tree.hpp"
#include "util/result.hpp"

namespace cfs::scan {

struct XattrFilter {
  bool user_only = false;  // --user-xattrs: only user.*
};

/// Reads the xattrs of the file open at `fd`. `shown` names it in errors.
Result<void> read_xattrs_fd(int fd, const XattrFilter& filter, const std::string& shown,
                           util::SharedArena& strings, tree::Node& node);
/// Reads the xattrs of `path` itself (not what a symlink points to).
Result<void> read_xattrs_path(const std::string& path, const XattrFilter& filter, util::SharedArena& strings,
                             tree::Node& node);

}  // namespace cfs::scan
