#include "store/object_dirs.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

#include "util/file_stat.hpp"

namespace cfs::store {
namespace {

// The flags of the final open. O_NOFOLLOW: a symlink in the object's place is
// never followed (with O_PATH it is opened itself, and fails the S_ISREG check).
int open_flags(ObjectAccess access) {
  if (access == ObjectAccess::probe) return O_PATH | O_NOFOLLOW | O_CLOEXEC;
  return O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC;
}

Error not_regular() { return make_error(ENOENT, "not a regular file"); }
Error symlink_on_the_way() { return make_error(ELOOP, "a symlink on the way (not followed)"); }
Error open_error(int err) {
  if (err == ENOENT) return make_error(ENOENT, "missing");
  return make_error(err, std::strerror(err));
}

// The payload as a path relative to the object directory, or why it can be none.
Result<std::string_view> relative_path(std::string_view payload) {
  if (payload.find('\0') != std::string_view::npos) return make_error(EINVAL, "a NUL byte in the path");
  size_t skip = payload.find_first_not_of('/');
  std::string_view rel = skip == std::string_view::npos ? std::string_view() : payload.substr(skip);
  if (rel.empty()) return not_regular();  // the directory itself
  for (size_t start = 0; start <= rel.size();) {
    size_t end = rel.find('/', start);
    if (end == std::string_view::npos) end = rel.size();
    if (rel.substr(start, end - start) == "..") return make_error(EXDEV, "'..' would leave the object directory");
    start = end + 1;
  }
  return rel;
}

// A regular file has no use for O_NONBLOCK (it only kept a FIFO's open from
// waiting); it goes, so reads and splices from the object behave as usual.
Result<UniqueFd> regular_only(UniqueFd fd, ObjectAccess access) {
  auto st = stat_fd(fd.get(), "");  // statx: an object dated after 2038 is fine on i386
  if (!st) return open_error(st.error().errnum);
  if (!S_ISREG(st->mode)) return not_regular();
  if (access == ObjectAccess::read && ::fcntl(fd.get(), F_SETFL, 0) < 0) return open_error(errno);
  return fd;
}

// Kernels before 5.6 have no openat2, and some seccomp filters (older container
// runtimes) answer ENOSYS or EPERM for system calls they do not know: the walk
// is as strict, so either answer sends every later open there.
std::atomic<bool> g_no_openat2{false};

#ifdef SYS_openat2
// -1 with errno ENOSYS when openat2 is unavailable.
int openat2_beneath(int dir_fd, const char* path, int flags) {
  open_how how{};
  how.flags = static_cast<uint64_t>(flags);
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  for (;;) {
    long fd = ::syscall(SYS_openat2, dir_fd, path, &how, sizeof how);
    if (fd >= 0) return static_cast<int>(fd);
    if (errno == EAGAIN) continue;  // a concurrent rename; the kernel asks to retry
    if (errno == ENOSYS || errno == EPERM) {
      g_no_openat2.store(true, std::memory_order_relaxed);
      errno = ENOSYS;
    }
    return -1;
  }
}
#else
int openat2_beneath(int, const char*, int) {
  errno = ENOSYS;
  return -1;
}
#endif

Result<UniqueFd> open_with_openat2(int dir_fd, const std::string& rel, int flags) {
  UniqueFd fd(openat2_beneath(dir_fd, rel.c_str(), flags));
  if (fd.valid()) return fd;
  const int err = errno;
  if (err != ELOOP) return open_error(err);
  // ELOOP for any symlink: the last component alone (opened itself with
  // O_PATH | O_NOFOLLOW) is an object that is not a regular file, as for the
  // kernel; one on the way stays ELOOP.
  UniqueFd link(openat2_beneath(dir_fd, rel.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
  return link.valid() ? not_regular() : symlink_on_the_way();
}

// Without openat2: each directory component opened by itself with O_NOFOLLOW
// (O_PATH: no permission needed beyond search, as for a path walk), so no
// symlink is followed; ".." never gets here (relative_path refuses it).
Result<UniqueFd> open_by_walk(int dir_fd, std::string_view rel, int flags) {
  UniqueFd held;
  int at = dir_fd;
  size_t start = 0;
  for (size_t slash; (slash = rel.find('/', start)) != std::string_view::npos; start = slash + 1) {
    const std::string name(rel.substr(start, slash - start));
    if (name.empty() || name == ".") continue;
    UniqueFd next(::openat(at, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!next.valid()) return open_error(errno);
    auto st = stat_fd(next.get(), "");
    if (!st) return open_error(st.error().errnum);
    if (S_ISLNK(st->mode)) return symlink_on_the_way();
    if (!S_ISDIR(st->mode)) return open_error(ENOTDIR);
    held = std::move(next);
    at = held.get();
  }
  // "ab/" names the directory itself ("."), refused below as not regular.
  const std::string last(start < rel.size() ? rel.substr(start) : std::string_view("."));
  UniqueFd fd(::openat(at, last.c_str(), flags));
  if (fd.valid()) return fd;
  // O_NOFOLLOW refuses a symlink in the object's place with ELOOP: an object
  // that is not a regular file.
  return errno == ELOOP ? not_regular() : open_error(errno);
}

}  // namespace

Result<UniqueFd> open_object_beneath(int dir_fd, std::string_view payload, ObjectAccess access, Resolution resolution) {
  const std::string_view rel = CFS_TRY(relative_path(payload));
  const int flags = open_flags(access);
  if (resolution == Resolution::automatic && !g_no_openat2.load(std::memory_order_relaxed)) {
    auto fd = open_with_openat2(dir_fd, std::string(rel), flags);
    if (fd) return regular_only(std::move(fd).value(), access);
    if (fd.error().errnum != ENOSYS) return fd;
  }
  return regular_only(CFS_TRY(open_by_walk(dir_fd, rel, flags)), access);
}

Result<ObjectDirs> ObjectDirs::open(const std::vector<std::string>& dirs) {
  if (dirs.empty()) return make_error(EINVAL, "no basedir given");
  ObjectDirs o;
  for (const auto& d : dirs) {
    UniqueFd fd(::open(d.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!fd.valid()) return make_error(errno, "basedir " + d + ": " + std::strerror(errno));
    o.dirs_.push_back(std::move(fd));
    o.names_.push_back(d);
  }
  return o;
}

Result<UniqueFd> ObjectDirs::open_object(std::string_view payload, ObjectAccess access, Resolution resolution) const {
  for (size_t i = 0; i < dirs_.size(); ++i) {
    auto fd = open_object_beneath(dirs_[i].get(), payload, access, resolution);
    if (fd || fd.error().errnum != ENOENT) {
      if (fd) return fd;
      return make_error(fd.error().errnum, "object " + std::string(payload) + " in " + names_[i] + ": " + fd.error().msg);
    }
  }
  return make_error(ENOENT, "object " + std::string(payload) + " is in no basedir");
}

}  // namespace cfs::store
