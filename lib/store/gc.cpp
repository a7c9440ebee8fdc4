#include "store/gc.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <ctime>
#include <fcntl.h>
#include <sys/stat.h>
#include <mutex>
#include <optional>
#include <thread>
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

// Threads that unlink: an unlink mostly waits for the filesystem (journal,
// discard), not for a CPU, so more threads than CPUs still help.
constexpr unsigned kUnlinkThreads = 8;

// Unlinks `files` (sorted by path) on several threads, each taking a whole xx/
// directory at a time so that they do not queue on one directory's lock.
Result<Totals> unlink_all(int store_fd, const std::string& store_path, const std::vector<const Entry*>& files) {
  std::vector<std::pair<size_t, size_t>> groups;  // [begin, end) of one xx/ each
  for (size_t i = 0; i < files.size(); ++i)
    if (i == 0 || files[i]->path.compare(0, 2, files[i - 1]->path, 0, 2) != 0) groups.emplace_back(i, i + 1);
    else groups.back().second = i + 1;
  std::atomic<size_t> next{0};
  std::mutex mutex;  // guards the two below
  Totals removed;
  std::optional<Error> failure;
  auto work = [&] {
    Totals mine;
    for (size_t g; (g = next.fetch_add(1)) < groups.size();) {
      for (size_t i = groups[g].first; i < groups[g].second; ++i) {
        auto r = remove_file(store_fd, store_path, files[i]->path);
        if (!r) {
          std::lock_guard lock(mutex);
          if (!failure) failure = r.take_error();
          next.store(groups.size());  // the others stop after their current directory
          break;
        }
        if (*r) mine.add(*files[i]);
      }
    }
    std::lock_guard lock(mutex);
    removed.objects += mine.objects, removed.bytes += mine.bytes;
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < std::min<size_t>(kUnlinkThreads, groups.size()); ++t) pool.emplace_back(work);
  work();
  for (auto& th : pool) th.join();
  if (failure) return std::move(*failure);
  return removed;
}

// Both the listing and `referenced` are sorted by path: one merge walk finds the
// referenced objects, with no hashing and no lookups.
Result<void> remove_objects(int store_fd, const std::string& store_path, const Listing& listing,
                            const std::set<std::string>& referenced, const GcOptions& o,
                            int64_t cutoff, GcReport& report) {
  std::vector<const Entry*> garbage;
  auto ref = referenced.begin();
  for (const Entry& e : listing.objects) {
    while (ref != referenced.end() && *ref < e.path) ++ref;
    bool unused = (ref == referenced.end() || *ref != e.path) && !S_ISDIR(e.mode);
    if (unused && e.changed() >= cutoff) report.kept_recent.add(e);
    if (unused && e.changed() < cutoff) garbage.push_back(&e);
    else report.kept.add(e);
  }
  if (o.dry_run) {
    for (const Entry* e : garbage) report.removed.add(*e), report.removed_paths.push_back(e->path);
    return {};
  }
  report.removed = CFS_TRY(unlink_all(store_fd, store_path, garbage));
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
