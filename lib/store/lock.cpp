#include "store/lock.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/file.h>

#include "util/io.hpp"

namespace cfs::store {

Result<StoreLock> StoreLock::acquire(int store_fd, const std::string& store_path, Mode mode,
                                     const std::function<void()>& on_wait) {
  if (!on_wait) return lock(store_fd, store_path, mode, true);
  auto now = lock(store_fd, store_path, mode, false);
  if (now || now.error().errnum != EWOULDBLOCK) return now;
  on_wait();
  return lock(store_fd, store_path, mode, true);
}

Result<StoreLock> StoreLock::try_acquire(int store_fd, const std::string& store_path, Mode mode) {
  return lock(store_fd, store_path, mode, false);
}

Result<StoreLock> StoreLock::lock(int store_fd, const std::string& store_path, Mode mode, bool wait) {
  // A new open file description: flock locks belong to those, and the caller's
  // fd may be shared with code that must not hold the lock.
  UniqueFd fd(::openat(store_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return errno_error(errno, store_path);
  int op = (mode == Mode::shared ? LOCK_SH : LOCK_EX) | (wait ? 0 : LOCK_NB);
  while (::flock(fd.get(), op) < 0) {
    if (errno != EINTR) return errno_error(errno, "locking " + store_path);
  }
  return StoreLock(std::move(fd));
}

}  // namespace cfs::store
