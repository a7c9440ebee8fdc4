// The store lock, STORE/.lock (flock): builds hold it shared from their first
// object lookup until their image is written; gc holds it exclusive. So a gc
// never removes an object a running build has looked up and relies on, and it
// reads the images it keeps only once no build is between lookup and image.
#pragma once

#include <functional>
#include <string>

#include "util/result.hpp"
#include "util/unique_fd.hpp"

namespace cfs::store {

/// The lock file's name inside a store; never an object (objects live in xx/).
inline constexpr const char* kLockName = ".lock";

class StoreLock {
 public:
  enum class Mode { shared, exclusive };

  /// Opens (creating it if needed) `.lock` in the store open at `store_fd` and
  /// waits for the lock, calling `on_wait` first if it has to wait (to say so).
  /// `store_path` is for messages. On a read-only store the lock file may not
  /// exist and cannot be made: nobody can remove objects from such a store, so
  /// a shared lock is then granted without a file.
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
