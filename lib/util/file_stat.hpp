// stat() with 64-bit times on every architecture.
//
// struct stat carries the platform's time_t: 32 bits on i386 and armhf unless the
// whole program (and every library whose ABI has a time_t, like libfuse3 and our
// own C API's struct timespec) is built with _TIME_BITS=64. There, stat() fails
// with EOVERFLOW on any file dated before 1901 or after 2038. statx() returns
// 64-bit seconds everywhere, so every stat in lib/ and the tools goes through here.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "util/result.hpp"

namespace cfs {

/// A file time: seconds since the epoch (negative before 1970) and 0..999999999 ns.
struct FileTime {
  int64_t sec = 0;
  uint32_t nsec = 0;
  bool operator==(const FileTime&) const = default;
};

/// The fields of struct stat we use, with 64-bit times.
struct FileStat {
  uint32_t mode = 0;  // file type and permission bits (st_mode)
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint64_t nlink = 0;
  uint64_t size = 0;
  uint64_t ino = 0;
  dev_t dev = 0;   // the device holding the file (st_dev)
  dev_t rdev = 0;  // the device a device node is (st_rdev)
  FileTime mtime;
  FileTime ctime;
};

/// fstatat(dirfd, name, flags) through statx(). `flags` are the AT_* flags of
/// fstatat (AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH). On error, the errno and `shown`.
Result<FileStat> stat_at(int dirfd, const char* name, int flags, const std::string& shown);

/// fstat(fd) through statx().
Result<FileStat> stat_fd(int fd, const std::string& shown);

}  // namespace cfs
