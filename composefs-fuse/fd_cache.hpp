// Object fds, one per inode, opened on first use and kept for the mount's life:
// the image never changes, so neither does the object a file reads from, and a
// read then costs no path walk in the object directory.
#pragma once

#include <atomic>
#include <memory>

#include "store/object_dirs.hpp"
#include "fuse/view.hpp"
#include "util/unique_fd.hpp"

namespace cfs::fuse_tool {

class ObjectFdCache {
 public:
  /// Keeps at most `max_fds` fds open (see raise_fd_limit in main.cpp).
  ObjectFdCache(const fuse::View& view, const store::ObjectDirs& objects, size_t max_fds);
  ~ObjectFdCache();
  ObjectFdCache(const ObjectFdCache&) = delete;
  ObjectFdCache& operator=(const ObjectFdCache&) = delete;

  /// An fd of `n`'s object (inode `ino`): the cached one, or, with the cache
  /// full, a fresh one left in `owned`. `*opened` says whether this call opened it.
  Result<int> get(uint32_t ino, const fuse::FileNode& n, UniqueFd& owned, bool* opened = nullptr);

 private:
  const store::ObjectDirs& objects_;
  size_t inodes_;
  std::unique_ptr<std::atomic<int>[]> fds_;  // per inode: fd + 1, or 0
  std::atomic<size_t> count_{0};
  size_t max_;
};

}  // namespace cfs::fuse_tool
