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
  const std::string path = store_path + "/" + kLockName;
  // O_NOFOLLOW: a symlink planted as .lock must not make us create files elsewhere.
  UniqueFd fd(::openat(store_fd, kLockName, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!fd.valid() && (errno == EROFS || errno == EACCES))  // flock works on read-only fds too
    fd.reset(::openat(store_fd, kLockName, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT && mode == Mode::shared) return StoreLock(UniqueFd());  // read-only store, see header
    return errno_error(errno, path);
  }
  int op = (mode == Mode::shared ? LOCK_SH : LOCK_EX) | (wait ? 0 : LOCK_NB);
  while (::flock(fd.get(), op) < 0) {
    if (errno != EINTR) return errno_error(errno, path);
  }
  return StoreLock(std::move(fd));
}

}  // namespace cfs::store
