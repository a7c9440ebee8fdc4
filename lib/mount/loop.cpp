// Read-only autoclear loop devices for kernels without file-backed EROFS.
#include <fcntl.h>
#include <linux/loop.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <cstring>

#include "mount/internal.hpp"
#include "util/io.hpp"

namespace cfs::mount::detail {
namespace {

constexpr int kBusyRetries = 16;  // LOOP_CTL_GET_FREE can race with other users

loop_info64 loop_info_for(const std::string& name) {
  loop_info64 info{};
  info.lo_flags = LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR | LO_FLAGS_DIRECT_IO;
  std::strncpy(reinterpret_cast<char*>(info.lo_file_name), name.c_str(), LO_NAME_SIZE - 1);
  return info;
}

// Linux >= 5.8: one ioctl. Block size 4096 as C uses: the EROFS block size.
int configure(int loop_fd, int image_fd, const std::string& name) {
  loop_config config{};
  config.fd = static_cast<uint32_t>(image_fd);
  config.block_size = 4096;
  config.info = loop_info_for(name);
  return ::ioctl(loop_fd, LOOP_CONFIGURE, &config);
}

// Older kernels: LOOP_SET_FD then LOOP_SET_STATUS64. Read-only comes from the
// backing fd's mode there, so the image is reopened read-only first.
int set_fd_and_status(int loop_fd, int image_fd, const std::string& name) {
  std::string self = proc_fd_path(image_fd);
  UniqueFd ro(::open(self.c_str(), O_RDONLY | O_CLOEXEC));
  if (!ro.valid()) return -1;
  if (::ioctl(loop_fd, LOOP_SET_FD, ro.get()) < 0) return -1;
  loop_info64 info = loop_info_for(name);
  info.lo_flags &= ~static_cast<uint32_t>(LO_FLAGS_READ_ONLY | LO_FLAGS_DIRECT_IO);
  if (::ioctl(loop_fd, LOOP_SET_STATUS64, &info) < 0) {
    int saved = errno;
    ::ioctl(loop_fd, LOOP_CLR_FD, 0);
    errno = saved;
    return -1;
  }
  return 0;
}

// One attempt on a free device; errno EBUSY means someone else took it first.
Result<UniqueFd> try_attach(int control_fd, int image_fd, const std::string& name,
                            std::string* path) {
  int nr = ::ioctl(control_fd, LOOP_CTL_GET_FREE);
  if (nr < 0) return errno_error(errno, "loop device: LOOP_CTL_GET_FREE");
  *path = "/dev/loop" + std::to_string(nr);
  UniqueFd fd(::open(path->c_str(), O_RDWR | O_CLOEXEC));
  if (!fd.valid()) return errno_error(errno, "loop device: open " + *path);
  int rc = configure(fd.get(), image_fd, name);
  if (rc < 0 && (errno == EINVAL || errno == ENOTTY)) rc = set_fd_and_status(fd.get(), image_fd, name);
  if (rc < 0) return errno_error(errno, "loop device: configure " + *path);
  return fd;
}

}  // namespace

Result<LoopDevice> LoopDevice::attach(int image_fd, const std::string& name) {
  UniqueFd control(::open("/dev/loop-control", O_RDWR | O_CLOEXEC));
  if (!control.valid()) return errno_error(errno, "loop device: open /dev/loop-control");
  for (int attempt = 0;; ++attempt) {
    std::string path;
    auto fd = try_attach(control.get(), image_fd, name, &path);
    if (fd) return LoopDevice(std::move(fd).value(), std::move(path));
    if (fd.error().errnum != EBUSY || attempt == kBusyRetries) return fd.take_error();
  }
}

LoopDevice::~LoopDevice() {
  if (!fd_.valid() || keep_) return;
  int saved = errno;
  ::ioctl(fd_.get(), LOOP_CLR_FD, 0);
  errno = saved;
}

}  // namespace cfs::mount::detail
