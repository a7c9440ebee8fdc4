#include "fuse/image_digest.hpp"

#include <unistd.h>

#include <cstring>

#include "util/hex.hpp"

namespace cfs::fuse {

Result<fsverity::Digest> parse_digest(std::string_view hex) {
  auto d = format::parse_hex_digest(hex);
  if (!d) return make_error(EINVAL, "invalid digest '" + std::string(hex) + "': need 64 (SHA-256) or 128 (SHA-512) hex digits");
  return *d;
}

Result<void> check_image_digest(int fd, std::string_view expected) {
  fsverity::Digest want = CFS_TRY(parse_digest(expected));
  fsverity::Digest got = CFS_TRY(fsverity::file_digest(fd, want.alg()));
  if (::lseek(fd, 0, SEEK_SET) < 0) return make_error(errno, std::string("lseek: ") + std::strerror(errno));
  if (got != want) return make_error(EILSEQ, "image has the wrong fs-verity digest " + to_hex(got) + ", expected " + std::string(expected));
  return {};
}

}  // namespace cfs::fuse
