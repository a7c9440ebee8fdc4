#include "store/gc.hpp"

#include <cerrno>
#include <ctime>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/io.hpp"

namespace cfs::store {
namespace {

// Unlinks a non-directory; a name already gone (ENOENT) counts as not removed.
Result<bool> remove_file(int store_fd, const std::string& store_path, const std::string& rel) {
  if (::unlinkat(store_fd, rel.c_str(), 0) == 0) return true;
  if (errno == ENOENT) return false;
  return errno_error(errno, store_path + "/" + rel);
}

// Both the listing and `referenced` are sorted by path: one merge walk finds the
// referenced objects, with no hashing and no lookups.
Result<void> remove_objects(int store_fd, const std::string& store_path, const Listing& listing,
                            const std::set<std::string>& referenced, const GcOptions& o,
                            int64_t cutoff, GcReport& report) {
  auto ref = referenced.begin();
  for (const Entry& e : listing.objects) {
    while (ref != referenced.end() && *ref < e.path) ++ref;
    bool garbage = (ref == referenced.end() || *ref != e.path) && !S_ISDIR(e.mode);
    if (garbage && e.changed() >= cutoff) {
      report.kept_recent.add(e);
      garbage = false;
    }
    if (!garbage) {
      report.kept.add(e);
    } else if (o.dry_run) {
      report.removed.add(e);
      report.removed_paths.push_back(e.path);
    } else if (CFS_TRY(remove_file(store_fd, store_path, e.path))) {
      report.removed.add(e);
    }
  }
  return {};
}

Result<void> remove_leftovers(int store_fd, const std::string& store_path, const Listing& listing,
                              const GcOptions& o, int64_t cutoff, GcReport& report) {
  for (const Entry& e : listing.temporaries) {
    if (e.changed() >= cutoff || S_ISDIR(e.mode)) continue;
    if (o.dry_run || CFS_TRY(remove_file(store_fd, store_path, e.path))) ++report.temporaries_removed;
  }
  if (o.dry_run) return {};
  for (const Entry& d : listing.subdirs) {
    // A directory a build made within the grace period may be about to receive
    // an object; anything still in a directory makes rmdir fail harmlessly.
    if (d.changed() >= cutoff) continue;
    if (::unlinkat(store_fd, d.path.c_str(), AT_REMOVEDIR) == 0) ++report.directories_removed;
    else if (errno != ENOTEMPTY && errno != EEXIST && errno != ENOENT) return errno_error(errno, store_path + "/" + d.path);
  }
  return {};
}

}  // namespace

Result<GcReport> collect_garbage(int store_fd, const std::string& store_path, const Listing& listing,
                                 const std::set<std::string>& referenced, const GcOptions& options) {
  int64_t now = options.now ? options.now : static_cast<int64_t>(std::time(nullptr));
  // Changed at or after the cutoff: within the grace period. With a grace of 0,
  // a file changed in the current second counts as old.
  int64_t cutoff = options.grace_seconds > 0 ? now - options.grace_seconds : now + 1;
  GcReport report;
  CFS_CHECK(remove_objects(store_fd, store_path, listing, referenced, options, cutoff, report));
  CFS_CHECK(remove_leftovers(store_fd, store_path, listing, options, cutoff, report));
  return report;
}

}  // namespace cfs::store
