// composefs-fuse's libfuse low-level operations over a fuse::View.
#pragma once

#include <fuse_lowlevel.h>

#include <atomic>
#include <memory>

#include "fuse/objects.hpp"
#include "fuse/view.hpp"
#include "prefetch.hpp"

namespace cfs::fuse_tool {

struct ServerOptions {
  bool verity = false;     // check each object's fs-verity digest on first open
  bool use_acl = false;    // serve POSIX ACLs (the image has them and no `noacl`)
  bool log_stderr = true;  // false once daemonized: log lines go to syslog
  bool prefetch = true;    // read siblings' objects ahead (prefetch.hpp)
};

/// The state every request handler sees (the session's userdata). Read-only
/// after construction except for the per-inode verity verdicts (atomics).
class Server {
 public:
  Server(const fuse::View& view, const fuse::Objects& objects, ServerOptions opts);

  const fuse::View& view() const { return view_; }
  const fuse::Objects& objects() const { return objects_; }
  const ServerOptions& options() const { return opts_; }
  void set_log_stderr(bool on) { opts_.log_stderr = on; }

  /// errno for opening inode `ino`'s object `fd` with `verity`: 0 when its digest
  /// matches the image (measured once per inode), EIO (and a log line) when not.
  int verify(uint32_t ino, const fuse::FileNode& node, int fd);

  /// One line to stderr (foreground) or syslog (daemon).
  void log(const std::string& line) const;

  /// A regular file of directory `dir` was opened (see Prefetcher).
  void file_opened_in(uint32_t dir) {
    if (opts_.prefetch) prefetcher_.file_opened_in(dir);
  }

 private:
  const fuse::View& view_;
  const fuse::Objects& objects_;
  ServerOptions opts_;
  std::unique_ptr<std::atomic<uint8_t>[]> verdicts_;  // 0 unknown, 1 good, 2 bad
  Prefetcher prefetcher_;
};

/// The operations table; the session's userdata must be a Server*.
const fuse_lowlevel_ops& operations();

}  // namespace cfs::fuse_tool
