#include "fd_cache.hpp"

#include <unistd.h>

namespace cfs::fuse_tool {

ObjectFdCache::ObjectFdCache(const fuse::View& view, const store::ObjectDirs& objects, size_t max_fds)
    : objects_(objects), inodes_(view.inode_count() + 1), fds_(new std::atomic<int>[inodes_]{}), max_(max_fds) {}

ObjectFdCache::~ObjectFdCache() {
  for (size_t i = 0; i < inodes_; ++i)
    if (int fd = fds_[i].load()) ::close(fd - 1);
}

Result<int> ObjectFdCache::get(uint32_t ino, const fuse::FileNode& n, UniqueFd& owned, bool* opened) {
  if (opened) *opened = false;
  if (int cached = fds_[ino].load(std::memory_order_acquire)) return cached - 1;
  UniqueFd fd = CFS_TRY(objects_.open_object(n.redirect));
  if (opened) *opened = true;
  if (count_.fetch_add(1, std::memory_order_relaxed) >= max_) {
    count_.fetch_sub(1, std::memory_order_relaxed);
    owned = std::move(fd);
    return owned.get();
  }
  int expected = 0;
  if (fds_[ino].compare_exchange_strong(expected, fd.get() + 1, std::memory_order_acq_rel)) return fd.release();
  count_.fetch_sub(1, std::memory_order_relaxed);  // another thread cached one first; ours closes
  return expected - 1;
}

}  // namespace cfs::fuse_tool
