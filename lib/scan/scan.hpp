// Directory tree -> tree::Tree, with the choices composefs-c 1.0.8's lcfs_build makes
// (nlink 1, mtime from stat, xattrs read with llistxattr/lgetxattr), then file
// contents: fs-verity digests, `xx/<62 hex>` payloads (126 with SHA-512), inline data for files of 1-64
// bytes, and copies into an object store, hashed in parallel.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <sys/stat.h>
#include <vector>

#include "scan/xattrs.hpp"
#include "store/object_store.hpp"
#include "tree/tree.hpp"
#include "util/file_stat.hpp"
#include "util/result.hpp"
#include "util/unique_fd.hpp"

namespace cfs::scan {

struct ScanOptions {
  bool use_epoch = false;     // every mtime 0.0
  bool skip_devices = false;  // leave out character and block devices (whiteouts too)
  bool skip_xattrs = false;   // read no xattrs
  bool user_xattrs = false;   // read only user.* xattrs
  bool hardlinks = false;     // beyond C: same st_dev/st_ino -> one inode with the real nlink
};

/// What the scan's lstat saw of a file: the read must find it unchanged.
struct StatStamp {
  uint64_t size = 0;
  FileTime mtime;
  FileTime ctime;
};

/// A regular file whose contents (and, for non-empty ones, xattrs) still have to be read.
struct FileWork {
  tree::Node* node;
  std::string path;  // relative to the scanned root
  StatStamp stamp;
};

/// Counters a progress display may read while the contents are read.
struct Progress {
  std::atomic<uint64_t> files_done{0};
  std::atomic<uint64_t> bytes_done{0};
  std::atomic<uint64_t> files_total{0};
  std::atomic<uint64_t> bytes_total{0};
};

/// Reads file contents on a pool of threads while the scan is still walking:
/// each file is read once for its fs-verity digest, gets the payload "xx/yyyy" and,
/// for 1-64 bytes, inline content; with a store, files of 65 bytes or more are
/// copied into it unless present. The result does not depend on the thread count.
/// Digests (and so payloads and object names) use `alg`.
class ContentReader {
 public:
  ContentReader(unsigned threads, store::ObjectStore* store, Progress& progress,
                fsverity::HashAlg alg = fsverity::HashAlg::sha256);
  ~ContentReader();
  ContentReader(const ContentReader&) = delete;
  ContentReader& operator=(const ContentReader&) = delete;

  /// Called by the scan when it has opened the root (before any add()).
  /// With `read_xattrs`, the xattrs of regular files are read here too, from the
  /// fd opened for the contents (no second path lookup).
  void set_root(tree::Tree& tree, int root_fd, std::string root_path, bool read_xattrs, XattrFilter filter);
  /// True for the regular files whose xattrs the reader reads (when asked to, see
  /// set_root): the non-empty ones, through the fd it opens for their contents.
  /// Empty files are never opened; their xattrs are the scan's to read.
  static bool reads_xattrs_of(const tree::Node& node) { return node.type() == S_IFREG && node.size > 0; }
  /// Queues one file; the node must stay valid and untouched by others until finish().
  void add(FileWork work);
  /// Waits for every queued file; the first error, if any.
  Result<void> finish();
  /// Drops the queued files and waits for the workers to stop.
  void cancel();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

/// Walks `root` (which must be a directory) into a tree, handing every regular file
/// to `contents`. Errors name the path that failed.
Result<tree::Tree> scan_directory(const std::string& root, const ScanOptions& options, ContentReader& contents);

}  // namespace cfs::scan
