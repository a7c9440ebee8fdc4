#include "util/extents.hpp"

#include <algorithm>
#include <cerrno>
#include <unistd.h>

#include "util/file_stat.hpp"

namespace cfs {

ByteRange DataExtents::next_data(uint64_t offset) {
  if (offset < known_from_ || offset >= known_.end) {
    known_ = ask_kernel(offset);
    known_from_ = offset;
  }
  return {std::max(offset, known_.begin), known_.end};
}

// No data after `offset`: a hole up to the end of file, or a file that shrank
// below `size`, whose end the reader must see (as data: its read comes up short).
ByteRange DataExtents::hole_to_end(uint64_t offset) const {
  auto st = stat_fd(fd_, "");
  if (st && st->size < size_) return {offset, size_};
  return {size_, size_};
}

ByteRange DataExtents::ask_kernel(uint64_t offset) {
  if (!seekable_) return {offset, size_};
  off_t data = ::lseek(fd_, static_cast<off_t>(offset), SEEK_DATA);
  if (data < 0 && errno == ENXIO) return hole_to_end(offset);
  if (data < 0) {
    seekable_ = false;  // no SEEK_DATA here (EINVAL): read everything
    return {offset, size_};
  }
  uint64_t begin = std::min<uint64_t>(static_cast<uint64_t>(data), size_);
  off_t hole = ::lseek(fd_, data, SEEK_HOLE);
  uint64_t end = hole < 0 ? size_ : std::min<uint64_t>(static_cast<uint64_t>(hole), size_);
  // An empty extent at a data offset would mean a file changing under us: read
  // the rest, and let the reader see what it finds.
  if (end <= begin && begin < size_) end = size_;
  return {begin, std::max(begin, end)};
}

}  // namespace cfs
