#include "prefetch.hpp"

#include <fcntl.h>

namespace cfs::fuse_tool {

Prefetcher::Prefetcher(const fuse::View& view, ObjectFdCache& fds)
    : view_(view), fds_(fds), queued_(new std::atomic<uint8_t>[view.inode_count() + 1]{}) {}

Prefetcher::~Prefetcher() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void Prefetcher::file_opened_in(uint32_t dir) {
  if (queued_[dir].load(std::memory_order_relaxed)) return;  // the common case: nothing to do
  std::call_once(started_, [this] {
    for (unsigned i = 0; i < kThreads; ++i) threads_.emplace_back([this] { work(); });
  });
  queue(dir);
  const fuse::FileNode* d = view_.node(dir);
  if (dir == fuse::View::kRoot || !d) return;
  auto siblings = view_.entries(*view_.node(d->parent));
  unsigned queued = 0;
  for (size_t k = d->position + 1; k < siblings.size() && queued < kWindow; ++k) {
    if (view_.node(siblings[k].ino)->type() != S_IFDIR) continue;
    queue(siblings[k].ino);
    ++queued;
  }
}

void Prefetcher::queue(uint32_t dir) {
  if (queued_[dir].exchange(1, std::memory_order_relaxed)) return;
  {
    std::lock_guard lock(mu_);
    dirs_.push_back(dir);
  }
  cv_.notify_one();
}

void Prefetcher::work() {
  for (;;) {
    uint32_t dir;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stop_ || !dirs_.empty(); });
      if (stop_) return;
      dir = dirs_.front();
      dirs_.pop_front();
    }
    prefetch_dir(dir);
  }
}

void Prefetcher::prefetch_dir(uint32_t dir) {
  const fuse::FileNode* d = view_.node(dir);
  if (!d) return;
  unsigned files = 0;
  uint64_t bytes = 0;
  for (const fuse::Entry& e : view_.entries(*d)) {
    const fuse::FileNode* n = view_.node(e.ino);
    if (n->type() != S_IFREG || n->redirect.empty()) continue;
    if (++files > kMaxFiles || (bytes += n->stored.size) > kMaxBytes) return;
    UniqueFd owned;
    auto fd = fds_.get(e.ino, *n, owned);
    // Only a hint: the kernel starts the reads and we move on; errors show on read.
    if (fd) ::posix_fadvise(*fd, 0, 0, POSIX_FADV_WILLNEED);
  }
}

}  // namespace cfs::fuse_tool
