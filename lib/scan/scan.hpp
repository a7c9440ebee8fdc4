// Directory tree -> tree::Tree, with the choices composefs-c 1.0.8's lcfs_build makes
// (nlink 1, mtime from stat, xattrs read with llistxattr/lgetxattr), then file
// contents: fs-verity digests, `xx/<62 hex>` payloads, inline data for files of 1-64
// bytes, and copies into an object store, hashed in parallel.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "store/object_store.hpp"
#include "tree/tree.hpp"
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

/// A regular file whose contents still have to be read.
struct FileWork {
  tree::Node* node;
  std::string path;  // relative to the scanned root
};

struct ScanResult {
  tree::Tree tree;
  UniqueFd root_fd;             // the scanned directory, for opening FileWork paths
  std::string root_path;        // as given, for messages
  std::vector<FileWork> files;  // in tree order
};

/// Walks `root` (which must be a directory). Errors name the path that failed.
Result<ScanResult> scan_directory(const std::string& root, const ScanOptions& options);

/// Counters a progress display may read while fill_contents runs.
struct Progress {
  std::atomic<uint64_t> files_done{0};
  std::atomic<uint64_t> bytes_done{0};
  uint64_t files_total = 0;
  uint64_t bytes_total = 0;
};

/// Reads every file once: fs-verity digest, payload "xx/yyyy", inline content for
/// files of 1-64 bytes; with a store, copies files of 65 bytes or more into it
/// unless present. Runs on `threads` threads; the result does not depend on it.
Result<void> fill_contents(ScanResult& scan, unsigned threads, store::ObjectStore* store, Progress& progress);

}  // namespace cfs::scan
