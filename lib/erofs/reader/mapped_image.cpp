#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "erofs/reader/reader.hpp"
#include "util/file_stat.hpp"

namespace cfs::erofs {

Result<MappedImage> MappedImage::open(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return make_error(errno, std::strerror(errno));
  return map_fd(fd.get());
}

Result<MappedImage> MappedImage::map_fd(int fd) {
  auto st = stat_fd(fd, "");
  if (!st) return make_error(st.error().errnum, std::strerror(st.error().errnum));
  if (st->size > kMaxImageSize) return make_error(EFBIG, "image larger than 1 GiB");
  const auto size = static_cast<size_t>(st->size);  // fits: at most 1 GiB
  if (size == 0) return MappedImage(nullptr, 0);  // the reader rejects it
  void* addr = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (addr == MAP_FAILED) return make_error(errno, std::strerror(errno));
  return MappedImage(addr, size);
}

MappedImage::MappedImage(MappedImage&& o) noexcept : addr_(o.addr_), size_(o.size_) {
  o.addr_ = nullptr;
  o.size_ = 0;
}

MappedImage::~MappedImage() {
  if (addr_) ::munmap(addr_, size_);
}

}  // namespace cfs::erofs
