#include "util/file_stat.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>

#include "util/io.hpp"

namespace cfs {
namespace {

FileTime time_of(const struct statx_timestamp& t) { return {t.tv_sec, t.tv_nsec}; }

FileStat from_statx(const struct statx& sx) {
  FileStat st;
  st.mode = sx.stx_mode;
  st.uid = sx.stx_uid;
  st.gid = sx.stx_gid;
  st.nlink = sx.stx_nlink;
  st.size = sx.stx_size;
  st.ino = sx.stx_ino;
  st.dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
  st.rdev = makedev(sx.stx_rdev_major, sx.stx_rdev_minor);
  st.mtime = time_of(sx.stx_mtime);
  st.ctime = time_of(sx.stx_ctime);
  return st;
}

}  // namespace

Result<FileStat> stat_at(int dirfd, const char* name, int flags, const std::string& shown) {
  struct statx sx;
  if (::statx(dirfd, name, flags | AT_STATX_SYNC_AS_STAT, STATX_BASIC_STATS, &sx) < 0)
    return errno_error(errno, shown);
  return from_statx(sx);
}

Result<FileStat> stat_fd(int fd, const std::string& shown) { return stat_at(fd, "", AT_EMPTY_PATH, shown); }

}  // namespace cfs
