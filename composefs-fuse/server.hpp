// composefs-fuse's libfuse low-level operations over a fuse::View.
#pragma once

#include <fuse_lowlevel.h>

#include <atomic>
#include <memory>

#include "store/object_dirs.hpp"
#include "fuse/view.hpp"
#include "util/unique_fd.hpp"
#include "fd_cache.hpp"
#include "prefetch.hpp"

namespace cfs::fuse_tool {

struct ServerOptions {
  bool verity = false;     // check each object's fs-verity digest on first open
  bool use_acl = false;    // serve POSIX ACLs (the image has them and no `noacl`)
  bool log_stderr = true;  // false once daemonized: log lines go to syslog
  bool prefetch = true;    // read siblings' objects ahead (prefetch.hpp)
  size_t max_cached_fds = 0;  // object fds kept open (see Server::object_fd)
};

/// The state every request handler sees (the session's userdata). Read-only
/// after construction except for the per-inode verity verdicts (atomics).
class Server {
 public:
  Server(const fuse::View& view, const store::ObjectDirs& objects, ServerOptions opts);
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  const fuse::View& view() const { return view_; }
  const store::ObjectDirs& objects() const { return objects_; }
  const ServerOptions& options() const { return opts_; }
  void set_log_stderr(bool on) { opts_.log_stderr = on; }

  /// errno for opening inode `ino` with `verity`: 0 when its object's digest
  /// matches the image (measured once per inode), EIO (and a log line) when not.
  int verify(uint32_t ino, const fuse::FileNode& node);

  /// One line to stderr (foreground) or syslog (daemon).
  void log(const std::string& line) const;

  /// An fd of `n`'s object (inode `ino`) for one read: the cached one, opened on
  /// first use and kept for the mount's life (the image never changes), or, when
  /// the cache holds as many fds as the limit allows, a fresh one left in `owned`.
  /// The first open also starts the read-ahead of its directory (Prefetcher).
  Result<int> object_fd(uint32_t ino, const fuse::FileNode& n, UniqueFd& owned);

  /// Whether the kernel was told to stop sending OPENDIR requests (nothing
  /// needs to happen when a directory is opened: one round trip saved each).
  bool no_opendir() const { return no_opendir_; }
  void set_no_opendir(bool dir) { no_opendir_ = dir; }

 private:
  const fuse::View& view_;
  const store::ObjectDirs& objects_;
  ServerOptions opts_;
  std::unique_ptr<std::atomic<uint8_t>[]> verdicts_;  // 0 unknown, 1 good, 2 bad
  std::unique_ptr<std::atomic<bool>[]> logged_;       // per inode: its object's failure was logged
  ObjectFdCache fds_;  // before prefetcher_, whose threads use it until joined
  bool no_opendir_ = false;  // set in init, before any other request
  Prefetcher prefetcher_;
};

/// The operations table; the session's userdata must be a Server*.
const fuse_lowlevel_ops& operations();

}  // namespace cfs::fuse_tool
