// Checking a store: every object, referenced or not, must be a regular file
// with a sane mode whose fs-verity digest is its name; nothing else may lie in
// the xx/ directories, and no temporary file may be left over.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/layout.hpp"
#include "util/result.hpp"

namespace cfs::store {

struct FsckOptions {
  /// Move what is wrong to STORE/lost+found (never delete it), give objects a
  /// bad mode 0644, and enable fs-verity on good objects lacking it where the
  /// filesystem supports it. The caller holds the exclusive store lock.
  bool repair = false;
  unsigned threads = 0;  // hashing threads; 0: the CPUs available
};

struct Problem {
  std::string path;  // relative to the store
  std::string what;  // "content does not match its name (...)", ...
  std::string repair;  // what --repair did about it, or empty
};

struct FsckReport {
  uint64_t objects = 0;
  uint64_t bytes = 0;
  uint64_t verity_enabled = 0;  // --repair: objects that got fs-verity
  std::vector<Problem> problems;  // in path order
};

/// Checks (and with options.repair, repairs) the store of `listing`.
Result<FsckReport> check_store(int store_fd, const std::string& store_path, const Listing& listing,
                               const FsckOptions& options);

/// A mode an object may have: a regular file readable by all, without set-id,
/// sticky or execute bits, writable by its owner at most.
bool sane_object_mode(mode_t mode);

}  // namespace cfs::store
