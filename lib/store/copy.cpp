#include "store/copy.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <fcntl.h>
#include <linux/fs.h>
#include <span>
#include <sys/ioctl.h>
#include <unistd.h>
#include <vector>

#include "util/extents.hpp"
#include "util/io.hpp"

namespace cfs::store {
namespace {

// What the filesystems at hand have refused once is not asked again (they say
// so for every file alike): reflinks between source and store, copy_file_range.
std::atomic<bool> g_try_reflink{true};
std::atomic<bool> g_try_copy_range{true};

bool reflink_unsupported(int errnum) {
  return errnum == EOPNOTSUPP || errnum == ENOTTY || errnum == EXDEV || errnum == EINVAL;
}
bool copy_range_unsupported(int errnum) {
  return errnum == EXDEV || errnum == EINVAL || errnum == ENOSYS || errnum == EOPNOTSUPP;
}

constexpr size_t kCopyBufferSize = size_t{1} << 20;
// Copied bytes between two writeback kicks.
constexpr uint64_t kWritebackStep = uint64_t{64} << 20;

// Starts writing [begin, end) of dst to disk without waiting: the publishing
// syncfs later finds a big object mostly written instead of writing it all then.
void start_writeback(int dst, uint64_t begin, uint64_t end) {
  ::sync_file_range(dst, static_cast<off_t>(begin), static_cast<off_t>(end - begin), SYNC_FILE_RANGE_WRITE);
}

// True at the end of a copy big enough to have had writeback started along the
// way: its tail is started too. Small files are left to the publishing syncfs,
// which writes thousands of them in one batch (starting each one's writeback on
// its own made --digest-store of /usr/share/doc 30% slower).
bool ends_big_copy(uint64_t off, uint64_t end) { return off == end && end >= kWritebackStep; }

// copy_file_range of [*off, end) at the same offsets in dst. Stops early (returns
// true in `unsupported`) where the kernel cannot do it for these files.
Result<void> copy_range_in_kernel(int src, int dst, loff_t& off, uint64_t end, bool& unsupported) {
  uint64_t unflushed = static_cast<uint64_t>(off);
  while (static_cast<uint64_t>(off) < end) {
    loff_t out_off = off;
    uint64_t step = std::min(end - static_cast<uint64_t>(off), kWritebackStep);
    ssize_t n = ::copy_file_range(src, &off, dst, &out_off, step, 0);
    if (n > 0) {
      if (static_cast<uint64_t>(off) - unflushed >= kWritebackStep || ends_big_copy(static_cast<uint64_t>(off), end)) {
        start_writeback(dst, unflushed, static_cast<uint64_t>(off));
        unflushed = static_cast<uint64_t>(off);
      }
      continue;
    }
    if (n == 0) return make_error(EIO, "file shrank while being copied");
    if (errno == EINTR) continue;
    if (!copy_range_unsupported(errno)) return errno_error(errno, "copy");
    unsupported = true;
    return {};
  }
  return {};
}

Result<void> pwrite_all(int fd, std::span<const uint8_t> data, uint64_t off) {
  while (!data.empty()) {
    ssize_t n = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(off));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error(errno, "write");
    data = data.subspan(static_cast<size_t>(n));
    off += static_cast<uint64_t>(n);
  }
  return {};
}

// pread/pwrite of [off, end) at the same offsets in dst.
Result<void> copy_range_by_reads(int src, int dst, uint64_t off, uint64_t end, std::vector<uint8_t>& buf) {
  if (buf.empty()) buf.resize(kCopyBufferSize);
  for (uint64_t unflushed = off; off < end;) {
    ssize_t n = ::pread(src, buf.data(), static_cast<size_t>(std::min<uint64_t>(buf.size(), end - off)),
                        static_cast<off_t>(off));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error(errno, "read");
    if (n == 0) return make_error(EIO, "file shrank while being copied");
    CFS_CHECK(pwrite_all(dst, {buf.data(), static_cast<size_t>(n)}, off));
    off += static_cast<uint64_t>(n);
    if (off - unflushed >= kWritebackStep || ends_big_copy(off, end)) {
      start_writeback(dst, unflushed, off);
      unflushed = off;
    }
  }
  return {};
}

Result<void> copy_extent(int src, int dst, ByteRange extent, std::vector<uint8_t>& buf) {
  loff_t off = static_cast<loff_t>(extent.begin);
  if (g_try_copy_range.load(std::memory_order_relaxed)) {
    bool unsupported = false;
    CFS_CHECK(copy_range_in_kernel(src, dst, off, extent.end, unsupported));
    if (!unsupported) return {};
    g_try_copy_range.store(false);  // from where it stopped, by reads
  }
  return copy_range_by_reads(src, dst, static_cast<uint64_t>(off), extent.end, buf);
}

}  // namespace

Result<void> copy_file_contents(int src, int dst, uint64_t size) {
  if (g_try_reflink.load(std::memory_order_relaxed)) {
    if (::ioctl(dst, FICLONE, src) == 0) return {};
    if (reflink_unsupported(errno)) g_try_reflink.store(false);
  }
  DataExtents extents(src, size);
  std::vector<uint8_t> buf;  // only allocated when copying by reads
  for (uint64_t pos = 0; pos < size;) {
    ByteRange data = extents.next_data(pos);
    if (data.begin >= size) break;
    CFS_CHECK(copy_extent(src, dst, data, buf));
    pos = data.end;
  }
  // The holes between and after the extents: a file of the full size.
  if (::ftruncate(dst, static_cast<off_t>(size)) < 0) return errno_error(errno, "ftruncate");
  return {};
}

}  // namespace cfs::store
