// Read-ahead across files. A program that opens one file of a directory (tar,
// cp -r, rsync) usually reads its siblings next; cold, each of those reads
// waits for the disk in turn. So the first open of a regular file in a
// directory hands the directory to background threads, which ask the kernel
// (POSIX_FADV_WILLNEED) to start reading every sibling's object at once (the
// fds opened for it stay in the fd cache for the reads to come): the
// disk sees many requests together instead of one at a time. Such programs go
// on to the next directories in depth-first listing order (the order tar, cp -r
// and rsync enter them), so the next kWindow directories in that order are
// queued too: a window of reads ahead of the reader. A walk that only lists and
// stats (ls -lR, find) opens no file and reads no object data.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "fd_cache.hpp"
#include "fuse/view.hpp"

namespace cfs::fuse_tool {

class Prefetcher {
 public:
  Prefetcher(const fuse::View& view, ObjectFdCache& fds);
  ~Prefetcher();
  Prefetcher(const Prefetcher&) = delete;
  Prefetcher& operator=(const Prefetcher&) = delete;

  /// A file of directory `dir` was opened: queue its siblings once. The threads
  /// start on first use, so after fuse_daemonize() has forked.
  void file_opened_in(uint32_t dir);

 private:
  void work();
  void queue(uint32_t dir);
  void prefetch_dir(uint32_t dir);
  void order_directories();

  static constexpr unsigned kThreads = 16;  // each blocks on one open at a time: the I/O depth
  static constexpr unsigned kWindow = 32;  // directories queued after the opened one
  // Bounds on what one directory may make us read ahead.
  static constexpr unsigned kMaxFiles = 4096;
  static constexpr uint64_t kMaxBytes = uint64_t{64} << 20;

  const fuse::View& view_;
  ObjectFdCache& fds_;
  std::unique_ptr<std::atomic<uint8_t>[]> queued_;  // per inode: directory already queued
  std::vector<uint32_t> dir_order_;                  // directories, depth first in entry order
  std::unique_ptr<uint32_t[]> dir_rank_;             // per inode: index in dir_order_
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<uint32_t> dirs_;
  bool stop_ = false;
  std::once_flag started_;
  std::vector<std::thread> threads_;
};

}  // namespace cfs::fuse_tool
