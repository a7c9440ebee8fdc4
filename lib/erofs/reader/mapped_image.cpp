#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "erofs/reader/reader.hpp"

namespace cfs::erofs {

Result<MappedImage> MappedImage::open(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return make_error(errno, std::strerror(errno));
  return map_fd(fd.get());
}

Result<MappedImage> MappedImage::map_fd(int fd) {
  struct stat st;
  if (::fstat(fd, &st) < 0) return make_error(errno, std::strerror(errno));
  if (st.st_size < 0 || static_cast<uint64_t>(st.st_size) > kMaxImageSize)
    return make_error(EFBIG, "image larger than 1 GiB");
  if (st.st_size == 0) return MappedImage(nullptr, 0);  // the reader rejects it
  void* addr = ::mmap(nullptr, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (addr == MAP_FAILED) return make_error(errno, std::strerror(errno));
  return MappedImage(addr, st.st_size);
}

MappedImage::MappedImage(MappedImage&& o) noexcept : addr_(o.addr_), size_(o.size_) {
  o.addr_ = nullptr;
  o.size_ = 0;
}

MappedImage::~MappedImage() {
  if (addr_) ::munmap(addr_, size_);
}

}  // namespace cfs::erofs
