// EINTR-safe whole-buffer I/O and atomic replacement of output files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "util/result.hpp"
#include "util/unique_fd.hpp"

namespace cfs {

/// Writes every byte of `data` to `fd`, retrying on EINTR and short writes.
Result<void> write_all(int fd, std::span<const uint8_t> data);

/// Reads up to data.size() bytes, stopping only at end of file; returns the count.
Result<size_t> read_full(int fd, std::span<uint8_t> data);

/// An output file that appears under its final name only when complete.
/// Data goes to a temporary file in the same directory; commit() renames it over
/// `path`. Destroying an uncommitted AtomicFile removes the temporary file, so a
/// failed build leaves an existing file untouched.
class AtomicFile {
 public:
  static Result<AtomicFile> create(const std::string& path);
  AtomicFile(AtomicFile&& o) noexcept;
  AtomicFile& operator=(AtomicFile&&) = delete;
  ~AtomicFile();

  int fd() const { return fd_.get(); }
  /// Flushes to disk, then renames the temporary file to the final path.
  Result<void> commit();

 private:
  AtomicFile(UniqueFd fd, std::string tmp, std::string path)
      : fd_(std::move(fd)), tmp_path_(std::move(tmp)), path_(std::move(path)) {}
  UniqueFd fd_;
  std::string tmp_path_;
  std::string path_;
};

/// "path: strerror(errnum)" style message helper.
Error errno_error(int errnum, const std::string& what);

}  // namespace cfs
