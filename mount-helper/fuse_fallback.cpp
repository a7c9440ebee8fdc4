#include "fuse_fallback.hpp"

#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace cfs::mount_helper {
namespace {

// fuse_opt splits -o at commas; a backslash keeps one (and itself) literal.
std::string escape_option(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == ',' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

constexpr struct {
  unsigned long ms;
  const char* name;
} kFuseFlags[] = {{MS_NOSUID, "nosuid"},       {MS_NODEV, "nodev"},           {MS_NOEXEC, "noexec"},
                  {MS_NOATIME, "noatime"},     {MS_NODIRATIME, "nodiratime"}, {MS_RELATIME, "relatime"},
                  {MS_STRICTATIME, "strictatime"}, {MS_SYNCHRONOUS, "sync"},  {MS_DIRSYNC, "dirsync"},
                  {MS_LAZYTIME, "lazytime"}};

std::string fuse_option_string(const HelperOptions& h) {
  std::string dirs;
  for (const auto& d : h.basedirs) dirs += (dirs.empty() ? "" : ":") + d;
  std::string o = "basedir=" + escape_option(dirs);
  if (h.digest) o += ",digest=" + escape_option(*h.digest);
  // As for the kernel mount, digest= implies verity; tryverity is verity, since
  // user space can always measure.
  if (h.verity || h.tryverity || h.digest) o += ",verity";
  // The VFS flags, as libfuse's mount options (it hands them to fusermount3;
  // nosuid and nodev are FUSE's own defaults for a user's mount anyway).
  for (const auto& f : kFuseFlags)
    if (h.mount_flags & f.ms) o += std::string(",") + f.name;
  return o;
}

}  // namespace

bool should_fall_back(const HelperOptions& h, const Error& kernel) {
  if (h.fuse == FuseMode::never || !check_fuse_options(h)) return false;
  if (::geteuid() != 0) return true;
  return kernel.errnum == ENODEV || kernel.errnum == EPERM || kernel.errnum == EACCES;
}

Result<void> check_fuse_options(const HelperOptions& h) {
  if (!CFS_HAVE_FUSE) return make_error(ENOTSUP, "FUSE support was not built (configured with -Dfuse=disabled)");
  if (!h.upperdir.empty()) return make_error(EINVAL, "composefs-fuse cannot serve upperdir/workdir");
  if (h.idmap) return make_error(EINVAL, "composefs-fuse cannot serve idmap");
  if (!h.security_options.empty()) return make_error(EINVAL, "composefs-fuse cannot apply " + h.security_options.front());
  if (h.mount_flags & (MS_MANDLOCK | MS_NOSYMFOLLOW))
    return make_error(EINVAL, "composefs-fuse cannot apply mand or nosymfollow");
  return {};
}

std::string fuse_program() {
  if (const char* env = std::getenv("COMPOSEFS_FUSE"); env && *env) return env;
  return CFS_FUSE_PROGRAM;
}

Result<void> mount_with_fuse(const HelperOptions& h, const std::string& image, const std::string& target) {
  CFS_CHECK(check_fuse_options(h));
  const std::string prog = fuse_program();
  const std::string opts = fuse_option_string(h);
  std::vector<const char*> argv = {prog.c_str(), "-o", opts.c_str(), image.c_str(), target.c_str(), nullptr};
  pid_t pid = ::fork();
  if (pid < 0) return make_error(errno, std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::execv(prog.c_str(), const_cast<char* const*>(argv.data()));
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return make_error(errno, std::string("waitpid: ") + std::strerror(errno));
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
    return make_error(ENOENT, prog + " could not be run (is it installed?)");
  return make_error(EIO, prog + " failed");
}

}  // namespace cfs::mount_helper
