// RAII guards (temporary directory, mount), the CFS_MOUNT_FORCE switch and the
// kernel's fs_context error log.
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "mount/internal.hpp"
#include "util/io.hpp"

namespace cfs::mount::detail {

Force force_from_env() {
  Force f;
  const char* env = std::getenv("CFS_MOUNT_FORCE");
  std::string_view rest = env != nullptr ? env : "";
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view word = rest.substr(0, comma);
    if (word == "loop") f.loop = true;
    if (word == "legacy") f.legacy = true;
    if (word == "nodata") f.nodata = true;
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
  }
  return f;
}

Result<TempDir> TempDir::create(std::string pattern) {
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) return errno_error(errno, "mkdtemp " + pattern);
  return TempDir(std::string(buf.data()));
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  int saved = errno;
  ::rmdir(path_.c_str());
  errno = saved;
}

MountGuard::~MountGuard() {
  int saved = errno;
  ::umount2(path_.c_str(), MNT_DETACH);
  errno = saved;
}

std::string fs_context_error(int fs_fd) {
  // Each read() returns one message: "e text", "w text" or "i text"; ENODATA at the end.
  std::string last;
  char buf[1024];
  for (;;) {
    ssize_t n = ::read(fs_fd, buf, sizeof buf - 1);
    if (n <= 0) break;
    if (n > 2 && buf[0] == 'e' && buf[1] == ' ') last.assign(buf + 2, static_cast<size_t>(n - 2));
  }
  while (!last.empty() && last.back() == '\n') last.pop_back();
  return last;
}

Error fs_error(int errnum, const std::string& what, int fs_fd) {
  Error e = errno_error(errnum, what);
  std::string detail = fs_context_error(fs_fd);
  if (!detail.empty()) e.msg += " (" + detail + ")";
  return e;
}

}  // namespace cfs::mount::detail
