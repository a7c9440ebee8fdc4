#include "util/io.hpp"

#include <cstring>
#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

namespace cfs {

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

}  // namespace

Result<AtomicFile> AtomicFile::create(const std::string& path) {
  const std::string prefix = dir_of(path) + "/." + base_of(path) + ".tmp-";
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string tmp = prefix + random_suffix();
    // 0666 filtered by the umask, as fopen(path, "w") would create it.
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) return AtomicFile(UniqueFd(fd), std::move(tmp), path);
    if (errno != EEXIST) return errno_error(errno, path);
  }
  return errno_error(EEXIST, path);
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
  if (::close(fd_.release()) < 0) return errno_error(errno, path_);
  if (::rename(tmp_path_.c_str(), path_.c_str()) < 0) return errno_error(errno, path_);
  tmp_path_.clear();
  // Make the new name itself durable.
  UniqueFd dir(::open(dir_of(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.valid() && ::fsync(dir.get()) < 0 && errno != EINVAL) return errno_error(errno, dir_of(path_));
  return {};
}

}  // namespace cfs
