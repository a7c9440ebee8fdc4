#include "prefetch.hpp"

#include <fcntl.h>

namespace cfs::fuse_tool {

Prefetcher::Prefetcher(const fuse::View& view, ObjectFdCache& fds)
    : view_(view),
      fds_(fds),
      queued_(new std::atomic<uint8_t>[view.inode_count() + 1]{}),
      dir_rank_(new uint32_t[view.inode_count() + 1]{}) {
  order_directories();
}

// Depth-first pre-order over directories, children in entry order: where a
// recursive reader goes next. (The View refuses directories reached twice.)
void Prefetcher::order_directories() {
  std::vector<uint32_t> stack{fuse::View::kRoot};
  while (!stack.empty()) {
    uint32_t dir = stack.back();
    stack.pop_back();
    dir_rank_[dir] = static_cast<uint32_t>(dir_order_.size());
    dir_order_.push_back(dir);
    const fuse::FileNode* d = view_.node(dir);
    if (!d) continue;
    auto entries = view_.entries(*d);
    for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
      const fuse::FileNode* n = view_.node(it->ino);
      if (n && n->type() == S_IFDIR && n->parent == dir && it->ino != dir) stack.push_back(it->ino);
    }
  }
}

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
  const size_t rank = dir_rank_[dir];
  for (size_t k = rank + 1; k < dir_order_.size() && k <= rank + kWindow; ++k) queue(dir_order_[k]);
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
