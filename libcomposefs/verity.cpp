// fs-verity helpers of the C API, over lib/fsverity.
#include <linux/fsverity.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "fsverity/fsverity.hpp"
#include "util/cpus.hpp"
#include "util/file_stat.hpp"
#include "libcomposefs/lcfs-mount.h"  // ENOVERITY, EWRONGVERITY
#include "node.hpp"

using cfs::capi::fail;
using cfs::capi::guarded;

namespace {

ssize_t read_fd(void* file, void* buf, size_t count) {
  ssize_t n;
  do n = ::read(*static_cast<int*>(file), buf, count);
  while (n < 0 && errno == EINTR);
  return n;
}

void store(uint8_t* out, const cfs::fsverity::Digest& digest) { std::memcpy(out, digest.data(), digest.size()); }

}  // namespace

int cfs::capi::compute_whole_file_digest(uint8_t* digest, int fd) {
  auto st = cfs::stat_fd(fd, "");
  if (st && S_ISREG(st->mode)) {
    auto d = cfs::fsverity::digest_of_file(fd, st->size, cfs::fsverity::HashAlg::sha256,
                                           {.threads = cfs::available_cpus()});
    if (!d) return fail(ENODATA);
    store(digest, *d);
    return 0;
  }
  if (::lseek(fd, 0, SEEK_SET) < 0) return -1;
  return lcfs_compute_fsverity_from_fd(digest, fd);
}

extern "C" {

// Reads through the callback in 4096-byte requests until it returns 0; a
// negative return fails with ENODATA, as in C.
int lcfs_compute_fsverity_from_content(uint8_t* digest, void* file, lcfs_read_cb read_cb) {
  if (!digest || !read_cb) return fail(EINVAL);
  return guarded<int>(-1, [&] {
    cfs::fsverity::Hasher hasher;
    uint8_t buffer[4096];
    for (;;) {
      ssize_t n = read_cb(file, buffer, sizeof buffer);
      if (n < 0) return fail(ENODATA);
      if (n == 0) break;
      hasher.update({buffer, std::min(static_cast<size_t>(n), sizeof buffer)});
    }
    store(digest, hasher.finish());
    return 0;
  });
}

// From the fd's current offset to its end.
int lcfs_compute_fsverity_from_fd(uint8_t* digest, int fd) {
  return lcfs_compute_fsverity_from_content(digest, &fd, read_fd);
}

int lcfs_compute_fsverity_from_data(uint8_t* digest, uint8_t* data, size_t data_len) {
  if (!digest || (!data && data_len > 0)) return fail(EINVAL);
  return guarded<int>(-1, [&] {
    store(digest, cfs::fsverity::digest_of({data, data_len}));
    return 0;
  });
}

int lcfs_fd_measure_fsverity(uint8_t* digest, int fd) {
  if (!digest) return -(errno = EINVAL);
  constexpr size_t kMaxDigest = 64;
  alignas(fsverity_digest) uint8_t buf[sizeof(fsverity_digest) + kMaxDigest] = {};
  auto* d = reinterpret_cast<fsverity_digest*>(buf);
  d->digest_size = kMaxDigest;
  if (::ioctl(fd, FS_IOC_MEASURE_VERITY, d) < 0) {
    // C maps ENODATA, EOPNOTSUPP and ENOTTY; ENOSYS (qemu-user) means the same.
    if (errno == ENODATA || cfs::fsverity::verity_unsupported(errno)) errno = ENOVERITY;
    return -errno;
  }
  // Verity with another hash (e.g. SHA-512). C returns this without setting errno.
  if (d->digest_size != LCFS_DIGEST_SIZE) return -EWRONGVERITY;
  std::memcpy(digest, buf + sizeof(fsverity_digest), LCFS_DIGEST_SIZE);
  return 0;
}

// The kernel's digest when the file has fs-verity, else computed from offset 0.
int lcfs_fd_get_fsverity(uint8_t* digest, int fd) {
  int r = lcfs_fd_measure_fsverity(digest, fd);
  if (r == 0) return 0;
  if (r != -ENOVERITY) return r;
  if (::lseek(fd, 0, SEEK_SET) < 0) return -errno;
  return guarded<int>(-1, [&] { return cfs::capi::compute_whole_file_digest(digest, fd); });
}

int lcfs_fd_enable_fsverity(int fd) {
  auto r = cfs::fsverity::enable_fd(fd);
  if (r) return 0;
  errno = r.error().errnum;
  return -errno;
}

int lcfs_node_set_fsverity_from_content(lcfs_node_s* node, void* file, lcfs_read_cb read_cb) {
  if (!node) return fail(EINVAL);
  uint8_t digest[LCFS_DIGEST_SIZE];
  if (lcfs_compute_fsverity_from_content(digest, file, read_cb) < 0) return -1;
  lcfs_node_set_fsverity_digest(node, digest);
  return 0;
}

int lcfs_node_set_fsverity_from_fd(lcfs_node_s* node, int fd) {
  return lcfs_node_set_fsverity_from_content(node, &fd, read_fd);
}

}  // extern "C"
