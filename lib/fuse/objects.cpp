#include "fuse/objects.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>

#include "util/hex.hpp"

namespace cfs::fuse {

Result<Objects> Objects::open(const std::vector<std::string>& dirs) {
  if (dirs.empty()) return make_error(EINVAL, "no basedir given");
  Objects o;
  for (const auto& d : dirs) {
    UniqueFd fd(::open(d.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!fd.valid()) return make_error(errno, "basedir " + d + ": " + std::strerror(errno));
    o.dirs_.push_back(std::move(fd));
    o.names_.push_back(d);
  }
  return o;
}

Result<UniqueFd> Objects::open_object(std::string_view path) const {
  const std::string p(path);
  for (size_t i = 0; i < dirs_.size(); ++i) {
    UniqueFd fd(::openat(dirs_[i].get(), p.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (fd.valid()) return fd;
    if (errno != ENOENT) return make_error(errno, "object " + p + " in " + names_[i] + ": " + std::strerror(errno));
  }
  return make_error(ENOENT, "object " + p + " is in no basedir");
}

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
