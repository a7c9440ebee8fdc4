// Digests of file descriptors and the kernel's fs-verity ioctls.
#include "fsverity/fsverity.hpp"

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include <linux/fsverity.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cpus.hpp"
#include "util/file_stat.hpp"
#include "util/io.hpp"

namespace cfs::fsverity {

namespace {

using format::kMaxDigestSize;
// fs-verity's (and our) Merkle tree block size.
constexpr uint32_t kBlockSize = 4096;
// Read buffer size for digest_of_fd.
constexpr size_t kReadBufferSize = size_t{1} << 20;

}  // namespace

cfs::Result<Digest> digest_of_fd(int fd, HashAlg alg) {
  std::vector<uint8_t> buf(kReadBufferSize);
  Hasher h(alg);
  return digest_of_fd(fd, h, buf);
}

cfs::Result<Digest> digest_of_fd(int fd, Hasher& h, std::span<uint8_t> buf) {
  for (;;) {
    size_t n = CFS_TRY(cfs::read_full(fd, buf));
    h.update(std::span<const uint8_t>(buf.data(), n));
    if (n < buf.size()) return h.finish();  // read_full stops short only at EOF
  }
}

namespace {

// struct fsverity_digest with room for the largest digest (its digest[] is a
// flexible array member, which C++ cannot declare storage for).
struct MeasureArg {
  uint16_t digest_algorithm;
  uint16_t digest_size;
  uint8_t digest[kMaxDigestSize];
};
static_assert(offsetof(MeasureArg, digest) == sizeof(fsverity_digest));

int ioctl_retry(int fd, unsigned long req, void* arg) {
  int r;
  do r = ::ioctl(fd, req, arg);
  while (r < 0 && errno == EINTR);
  return r;
}

}  // namespace

cfs::Result<Digest> measure_fd(int fd) {
  MeasureArg arg{};
  arg.digest_size = kMaxDigestSize;
  if (ioctl_retry(fd, FS_IOC_MEASURE_VERITY, &arg) < 0)
    return cfs::errno_error(errno, "FS_IOC_MEASURE_VERITY");
  auto alg = format::hash_of_size(arg.digest_size);
  if (!alg || arg.digest_algorithm != static_cast<uint16_t>(*alg))
    return cfs::make_error(EINVAL, "fs-verity digest uses hash algorithm " +
                                       std::to_string(arg.digest_algorithm) + ", neither SHA-256 nor SHA-512");
  return Digest::from_bytes({arg.digest, arg.digest_size});
}

cfs::Result<void> enable_fd(int fd, HashAlg alg) {
  fsverity_enable_arg arg{};
  arg.version = 1;  // the only fsverity_enable_arg version
  arg.hash_algorithm = static_cast<uint32_t>(alg);
  arg.block_size = kBlockSize;
  arg.salt_size = 0;  // no salt
  if (ioctl_retry(fd, FS_IOC_ENABLE_VERITY, &arg) < 0)
    return cfs::errno_error(errno, "FS_IOC_ENABLE_VERITY");
  return {};
}

cfs::Result<Digest> file_digest(int fd, HashAlg alg) {
  auto measured = measure_fd(fd);
  if (measured && measured->alg() == alg) return measured;
  // Not enabled, not available here (any errno: a real read error shows up in the
  // read below), or enabled with another algorithm: compute it.
  cfs::FileStat st = CFS_TRY(cfs::stat_fd(fd, "fstat"));
  // A regular file's size is known: holes skipped, big files on all CPUs. Anything
  // else (a pipe) is read to its end.
  if (S_ISREG(st.mode)) return digest_of_file(fd, st.size, alg, {.threads = available_cpus()});
  if (::lseek(fd, 0, SEEK_SET) < 0) return cfs::errno_error(errno, "lseek");
  return digest_of_fd(fd, alg);
}

}  // namespace cfs::fsverity
