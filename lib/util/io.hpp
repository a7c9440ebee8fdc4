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
///
/// Data goes to an anonymous O_TMPFILE file in the target's directory, so a
/// killed process leaves nothing behind; commit() fsyncs it, links it under a
/// temporary name and renames that over `path` (a name exists only for that
/// instant). Where the filesystem has no O_TMPFILE, a named temporary file
/// ".NAME.tmp-XXXXXXXX" is used from the start instead. Destroying an
/// uncommitted AtomicFile drops the data and leaves an existing file untouched.
class AtomicFile {
 public:
  enum class Mode { prefer_tmpfile, named_temp };
  static Result<AtomicFile> create(const std::string& path, Mode mode = Mode::prefer_tmpfile);
  AtomicFile(AtomicFile&& o) noexcept;
  AtomicFile& operator=(AtomicFile&&) = delete;
  ~AtomicFile();

  int fd() const { return fd_.get(); }
  /// Flushes to disk, then puts the file under its final path.
  Result<void> commit();

 private:
  AtomicFile(UniqueFd fd, std::string tmp, std::string path)
      : fd_(std::move(fd)), tmp_path_(std::move(tmp)), path_(std::move(path)) {}
  Result<void> link_anonymous();
  UniqueFd fd_;
  std::string tmp_path_;  // the named temporary file; empty while anonymous
  std::string path_;
};

/// "/proc/self/fd/N": a path naming the file open at `fd` itself (for calls that
/// take only paths, or to reopen an fd with other flags).
std::string proc_fd_path(int fd);

/// True for the errnos with which open(O_TMPFILE) says the filesystem lacks it.
inline bool tmpfile_unsupported(int errnum) { return errnum == EOPNOTSUPP || errnum == EISDIR || errnum == EINVAL; }

/// "path: strerror(errnum)" style message helper.
Error errno_error(int errnum, const std::string& what);

}  // namespace cfs
