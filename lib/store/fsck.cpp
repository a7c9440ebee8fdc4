#include "store/fsck.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

#include "fsverity/fsverity.hpp"
#include "store/hash_objects.hpp"
#include "util/hex.hpp"
#include "util/io.hpp"

namespace cfs::store {
namespace {

std::string octal_mode(mode_t mode) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

// "xx/rest" -> "xx-rest" in lost+found, with ".N" added until the name is free;
// renameat2(RENAME_NOREPLACE) so that nothing there is ever overwritten.
Result<std::string> move_to_lost_found(int store_fd, const std::string& store_path, const std::string& rel) {
  if (::mkdirat(store_fd, kLostFound, 0700) < 0 && errno != EEXIST) return errno_error(errno, store_path + "/" + kLostFound);
  std::string base = rel;
  std::replace(base.begin(), base.end(), '/', '-');
  for (int n = 0;; ++n) {
    std::string target = std::string(kLostFound) + "/" + base;
    if (n) target.append(".").append(std::to_string(n));
    if (::renameat2(store_fd, rel.c_str(), store_fd, target.c_str(), RENAME_NOREPLACE) == 0) return target;
    if (errno != EEXIST || n > 1000) return errno_error(errno, store_path + "/" + rel);
  }
}

struct Fixer {
  int store_fd;
  const std::string& store_path;
  FsckReport& report;
  bool try_verity = true;

  Result<std::string> move(const std::string& rel) {
    return "moved to " + CFS_TRY(move_to_lost_found(store_fd, store_path, rel));
  }
  // Through an fd opened O_NOFOLLOW: fchmodat() would follow a symlink put in
  // the object's place since the listing.
  Result<std::string> fix_mode(const std::string& rel) {
    UniqueFd fd(::openat(store_fd, rel.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (!fd.valid() || ::fchmod(fd.get(), 0644) < 0) return errno_error(errno, store_path + "/" + rel);
    return std::string("mode set to 0644");
  }
  Result<void> enable_verity(const std::string& rel) {
    if (!try_verity) return {};
    UniqueFd fd(::openat(store_fd, rel.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.valid()) return errno_error(errno, store_path + "/" + rel);
    auto r = fsverity::enable_fd(fd.get(), alg_of_object_path(rel));
    if (r) ++report.verity_enabled;
    else if (fsverity::enable_unsupported(r.error().errnum)) try_verity = false;
    else if (r.error().errnum != EEXIST && r.error().errnum != ETXTBSY)
      return make_error(r.error().errnum, store_path + "/" + rel + ": " + r.error().msg);
    return {};
  }
};

Result<void> report_objects(const Listing& listing, const std::vector<ObjectHash>& hashes, Fixer* fixer,
                            FsckReport& report) {
  for (size_t i = 0; i < listing.objects.size(); ++i) {
    const Entry& e = listing.objects[i];
    const ObjectHash& h = hashes[i];
    ++report.objects;
    report.bytes += e.size;
    std::string content_problem = !h.error.empty() ? h.error
                                  : !h.matches_name ? "content does not match its name (fs-verity digest " + to_hex(h.digest) + ")"
                                                    : "";
    bool bad_mode = S_ISREG(e.mode) && !sane_object_mode(e.mode);
    if (!content_problem.empty()) {
      std::string done = fixer ? CFS_TRY(fixer->move(e.path)) : "";
      report.problems.push_back({e.path, content_problem, done});
    }
    if (bad_mode) {
      std::string done = fixer && content_problem.empty() ? CFS_TRY(fixer->fix_mode(e.path)) : "";
      report.problems.push_back({e.path, "mode " + octal_mode(e.mode) + ", expected 0644", done});
    }
    if (fixer && content_problem.empty() && h.verity == ObjectHash::Verity::missing) CFS_CHECK(fixer->enable_verity(e.path));
  }
  return {};
}

Result<void> report_strays(const std::vector<Entry>& entries, const std::string& what, Fixer* fixer,
                           FsckReport& report) {
  for (const Entry& e : entries) {
    std::string done = fixer ? CFS_TRY(fixer->move(e.path)) : "";
    report.problems.push_back({e.path, what, done});
  }
  return {};
}

}  // namespace

bool sane_object_mode(mode_t mode) { return S_ISREG(mode) && (mode & 07133) == 0 && (mode & 0444) == 0444; }

Result<FsckReport> check_store(int store_fd, const std::string& store_path, const Listing& listing,
                               const FsckOptions& options) {
  std::vector<ObjectHash> hashes = hash_objects(store_fd, listing.objects, options.threads);
  FsckReport report;
  Fixer fixer{store_fd, store_path, report};
  Fixer* fix = options.repair ? &fixer : nullptr;
  CFS_CHECK(report_objects(listing, hashes, fix, report));
  CFS_CHECK(report_strays(listing.temporaries, "leftover temporary file", fix, report));
  CFS_CHECK(report_strays(listing.unexpected, "not an object (name is not 62 or 126 lowercase hex digits)", fix, report));
  std::stable_sort(report.problems.begin(), report.problems.end(),
                   [](const Problem& a, const Problem& b) { return a.path < b.path; });
  return report;
}

}  // namespace cfs::store
