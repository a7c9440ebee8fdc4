#include "util/io.hpp"

#include <cstring>
#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

namespace cfs {

std::string proc_fd_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

Error errno_error(int errnum, const std::string& what) {
  return make_error(errnum, what + ": " + std::strerror(errnum));
}

Result<void> write_all(int fd, std::span<const uint8_t> data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error(errno, "write");
    }
    data = data.subspan(static_cast<size_t>(n));
  }
  return {};
}

Result<size_t> read_full(int fd, std::span<uint8_t> data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::read(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error(errno, "read");
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

namespace {

std::string dir_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string base_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string random_suffix() {
  static const char chars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  uint8_t bytes[8] = {};
  if (getrandom(bytes, sizeof bytes, 0) != sizeof bytes) {
    uint64_t seed = static_cast<uint64_t>(getpid()) * 0x9e3779b97f4a7c15ULL;
    std::memcpy(bytes, &seed, sizeof bytes);
  }
  std::string s;
  for (uint8_t b : bytes) s += chars[b % (sizeof chars - 1)];
  return s;
}

std::string temp_prefix(const std::string& path) { return dir_of(path) + "/." + base_of(path) + ".tmp-"; }

// Runs `make(name)` on fresh random temporary names until one is free.
template <class F>
Result<std::string> with_temp_name(const std::string& path, F make) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string tmp = temp_prefix(path) + random_suffix();
    if (make(tmp)) return tmp;
    if (errno != EEXIST) return errno_error(errno, path);
  }
  return errno_error(EEXIST, path);
}

}  // namespace

Result<AtomicFile> AtomicFile::create(const std::string& path, Mode mode) {
  // 0666 filtered by the umask, as fopen(path, "w") would create it.
  if (mode == Mode::prefer_tmpfile) {
    int fd = ::open(dir_of(path).c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
    if (fd >= 0) return AtomicFile(UniqueFd(fd), "", path);
    // Filesystems without O_TMPFILE say so in several ways; anything else is real.
    if (!tmpfile_unsupported(errno)) return errno_error(errno, path);
  }
  int fd = -1;
  std::string tmp = CFS_TRY(with_temp_name(path, [&](const std::string& name) {
    fd = ::open(name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    return fd >= 0;
  }));
  return AtomicFile(UniqueFd(fd), std::move(tmp), path);
}

// Gives the anonymous file a (temporary) name: through /proc, else AT_EMPTY_PATH
// (which needs CAP_DAC_READ_SEARCH).
Result<void> AtomicFile::link_anonymous() {
  std::string proc = proc_fd_path(fd_.get());
  tmp_path_ = CFS_TRY(with_temp_name(path_, [&](const std::string& name) {
    if (::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, name.c_str(), AT_SYMLINK_FOLLOW) == 0) return true;
    return errno == ENOENT && ::linkat(fd_.get(), "", AT_FDCWD, name.c_str(), AT_EMPTY_PATH) == 0;
  }));
  return {};
}

AtomicFile::AtomicFile(AtomicFile&& o) noexcept
    : fd_(std::move(o.fd_)), tmp_path_(std::move(o.tmp_path_)), path_(std::move(o.path_)) {
  o.tmp_path_.clear();
}

AtomicFile::~AtomicFile() {
  if (!tmp_path_.empty()) ::unlink(tmp_path_.c_str());
}

Result<void> AtomicFile::commit() {
  if (::fsync(fd_.get()) < 0 && errno != EINVAL) return errno_error(errno, path_);
  if (tmp_path_.empty()) CFS_CHECK(link_anonymous());
  if (::close(fd_.release()) < 0) return errno_error(errno, path_);
  if (::rename(tmp_path_.c_str(), path_.c_str()) < 0) return errno_error(errno, path_);
  tmp_path_.clear();
  // Make the new name itself durable.
  UniqueFd dir(::open(dir_of(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.valid() && ::fsync(dir.get()) < 0 && errno != EINVAL) return errno_error(errno, dir_of(path_));
  return {};
}

}  // namespace cfs
