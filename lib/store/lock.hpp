// The store lock, flock(2) on the store directory itself: builds hold it shared
// from their first object lookup until their image is written; gc holds it
// exclusive. So a gc never removes an object a running build has looked up and
// relies on, and it reads the images it keeps only once no build is between
// lookup and image. No lock file: where the kernel has no data-only overlay
// layers, mount.composefs makes the store an ordinary lower layer whose top level
// the image hides only for 00..ff, so a STORE/.lock would show in every mount.
#pragma once

#include <functional>
#include <string>

#include "util/result.hpp"
#include "util/unique_fd.hpp"

namespace cfs::store {

class StoreLock {
 public:
  enum class Mode { shared, exclusive };

  /// Opens the store directory open at `store_fd` again (a lock of its own) and
  /// waits for the lock, calling `on_wait` first if it has to wait (to say so).
  /// `store_path` is for messages. Works on read-only stores too.
  static Result<StoreLock> acquire(int store_fd, const std::string& store_path, Mode mode,
                                   const std::function<void()>& on_wait = {});

  /// Same, without waiting: fails with EWOULDBLOCK when the lock is held.
  static Result<StoreLock> try_acquire(int store_fd, const std::string& store_path, Mode mode);

  StoreLock() = default;  // holds nothing
  StoreLock(StoreLock&&) noexcept = default;
  StoreLock& operator=(StoreLock&&) noexcept = default;
  ~StoreLock() = default;  // closing the fd releases the lock

  bool held() const { return fd_.valid(); }

 private:
  explicit StoreLock(UniqueFd fd) : fd_(std::move(fd)) {}
  static Result<StoreLock> lock(int store_fd, const std::string& store_path, Mode mode, bool wait);
  UniqueFd fd_;
};

}  // namespace cfs::store
