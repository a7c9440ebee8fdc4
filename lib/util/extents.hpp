// Where a file has data and where it has holes (SEEK_DATA / SEEK_HOLE), so that
// readers can skip holes: a 5 GiB sparse file costs a few system calls, not a
// 5 GiB read of zeros.
#pragma once

#include <cstdint>

namespace cfs {

/// A run of bytes of a file: [begin, end).
struct ByteRange {
  uint64_t begin = 0;
  uint64_t end = 0;
};

/// Answers "where is the next data at or after offset X" for the first `size`
/// bytes of a file, remembering the last extent found so that a reader walking
/// the file forwards asks the kernel once per extent. Filesystems without
/// SEEK_DATA (lseek fails with EINVAL or the like) look all data: everything is
/// read, as a plain reader would. lseek moves the fd's file offset: users must
/// read with pread. Bytes past `size` (a file that grew) are ignored; a file
/// shorter than `size` looks like data up to `size`, so that its reader fails.
class DataExtents {
 public:
  DataExtents(int fd, uint64_t size) : fd_(fd), size_(size) {}

  /// The data extent that starts at or after `offset` (`offset` < size), clipped to
  /// the size: [offset, data.begin) is a hole. {size, size} when only holes follow.
  ByteRange next_data(uint64_t offset);

 private:
  ByteRange ask_kernel(uint64_t offset);
  ByteRange hole_to_end(uint64_t offset) const;

  int fd_;
  uint64_t size_;
  bool seekable_ = true;
  uint64_t known_from_ = 0;  // [known_from_, known_.end) is answered by known_
  ByteRange known_{};
};

}  // namespace cfs
