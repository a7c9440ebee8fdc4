// Garbage collection of a store: removes the objects no kept image refers to.
//
// Crash safety comes from what gc never does: it modifies no image and no
// referenced object, it only unlinks (atomically, one name at a time) objects
// that no kept image names, temporary files and empty xx/ directories. A gc
// killed at any point leaves every kept image whole, with some garbage left.
#pragma once

#include <cstdint>
#include <string>
#include <set>
#include <vector>

#include "store/layout.hpp"
#include "util/result.hpp"

namespace cfs::store {

struct GcOptions {
  bool dry_run = false;        // remove nothing; report what would go
  int64_t grace_seconds = 3600;  // keep anything changed this recently (unlocked writers)
  int64_t now = 0;             // seconds since the epoch; 0: the current time
};

struct Totals {
  uint64_t objects = 0;
  uint64_t bytes = 0;
  void add(const Entry& e) { ++objects, bytes += e.size; }
};

struct GcReport {
  Totals removed;             // objects removed (or, dry run, that would be)
  Totals kept;                // objects left in the store
  Totals kept_recent;         // of those: unreferenced, but within the grace period
  uint64_t temporaries_removed = 0;
  uint64_t directories_removed = 0;
  std::vector<std::string> removed_paths;  // dry run only: "xx/rest" of each object
};

/// Removes every object of `listing` (taken under the exclusive store lock the
/// caller holds) whose path ("xx/rest") is not in `referenced` and that changed before the
/// grace period, then temporary files older than it, then xx/ directories left
/// empty. Entries that are directories are never removed (fsck reports them).
Result<GcReport> collect_garbage(int store_fd, const std::string& store_path, const Listing& listing,
                                 const std::set<std::string>& referenced, const GcOptions& options);

}  // namespace cfs::store
