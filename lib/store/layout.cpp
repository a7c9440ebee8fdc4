#include "store/layout.hpp"

#include <algorithm>
#include <cerrno>
#include <dirent.h>
#include <fcntl.h>
#include <memory>
#include <sys/stat.h>

#include "util/file_stat.hpp"
#include "util/io.hpp"

namespace cfs::store {
namespace {

bool is_lower_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

using Dir = std::unique_ptr<DIR, int (*)(DIR*)>;

// A new open file description of a directory: a dup() would share the read
// position, so a second listing would start at the end.
UniqueFd reopen(int dir_fd) { return UniqueFd(::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)); }

// Takes ownership of `fd` (closed with the DIR, or here on failure).
Result<Dir> open_dir(UniqueFd fd, const std::string& path) {
  if (!fd.valid()) return errno_error(errno, path);
  DIR* d = ::fdopendir(fd.get());
  if (!d) return errno_error(errno, path);
  fd.release();
  return Dir(d, ::closedir);
}

// Calls f(name) for every entry but "." and "..". An entry that vanishes
// before f stats it (a concurrent build renaming its temporary file) is skipped:
// f's ENOENT is not an error.
template <class F>
Result<void> for_each_entry(DIR* dir, const std::string& path, F&& f) {
  for (;;) {
    errno = 0;
    dirent* de = ::readdir(dir);
    if (!de) {
      if (errno) return errno_error(errno, path);
      return {};
    }
    std::string_view name = de->d_name;
    if (name == "." || name == "..") continue;
    Result<void> r = f(name);
    if (!r && r.error().errnum != ENOENT) return r;
  }
}

Result<Entry> stat_entry(int dir_fd, std::string_view name, std::string rel, const std::string& store_path) {
  FileStat st = CFS_TRY(stat_at(dir_fd, std::string(name).c_str(), AT_SYMLINK_NOFOLLOW, store_path + "/" + rel));
  return Entry{std::move(rel), st.mode, st.size, st.mtime.sec, st.ctime.sec};
}

// Why a top-level entry breaks the store rule, or "" when it does not.
std::string top_level_problem(std::string_view name, mode_t mode) {
  if (is_subdir_name(name)) return S_ISDIR(mode) ? "" : "is not a directory";
  if (is_temporary_name(name)) return S_ISREG(mode) ? "" : "is not a regular file";
  if (name == kLostFound) return S_ISDIR(mode) ? "" : "is not a directory";
  return "does not belong in an object store";
}

Result<void> list_subdir(int store_fd, const Entry& subdir, const std::string& store_path, Listing& out) {
  const std::string dir_path = store_path + "/" + subdir.path;
  Dir dir = CFS_TRY(open_dir(
      UniqueFd(::openat(store_fd, subdir.path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)), dir_path));
  return for_each_entry(dir.get(), dir_path, [&](std::string_view name) -> Result<void> {
    Entry e = CFS_TRY(stat_entry(::dirfd(dir.get()), name, subdir.path + "/" + std::string(name), store_path));
    if (is_object_name(name)) out.objects.push_back(std::move(e));
    else if (is_temporary_name(name)) out.temporaries.push_back(std::move(e));
    else out.unexpected.push_back(std::move(e));
    return {};
  });
}

}  // namespace

bool is_subdir_name(std::string_view name) { return name.size() == 2 && is_lower_hex(name); }
bool is_object_name(std::string_view name) { return (name.size() == 62 || name.size() == 126) && is_lower_hex(name); }
bool is_temporary_name(std::string_view name) { return name.starts_with(".tmp"); }

Result<UniqueFd> open_store(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return errno_error(errno, path);
  Dir dir = CFS_TRY(open_dir(reopen(fd.get()), path));
  CFS_CHECK(for_each_entry(dir.get(), path, [&](std::string_view name) -> Result<void> {
    Entry e = CFS_TRY(stat_entry(fd.get(), name, std::string(name), path));
    std::string why = top_level_problem(name, e.mode);
    if (!why.empty()) return make_error(ENOTDIR, path + " is not an object store: " + e.path + " " + why);
    return {};
  }));
  return fd;
}

Result<Listing> list_store(int store_fd, const std::string& store_path) {
  Listing out;
  Dir dir = CFS_TRY(open_dir(reopen(store_fd), store_path));
  CFS_CHECK(for_each_entry(dir.get(), store_path, [&](std::string_view name) -> Result<void> {
    Entry e = CFS_TRY(stat_entry(store_fd, name, std::string(name), store_path));
    if (is_subdir_name(name) && S_ISDIR(e.mode)) out.subdirs.push_back(std::move(e));
    else if (is_temporary_name(name) && S_ISREG(e.mode)) out.temporaries.push_back(std::move(e));
    return {};
  }));
  std::sort(out.subdirs.begin(), out.subdirs.end(), [](const Entry& a, const Entry& b) { return a.path < b.path; });
  for (const Entry& sub : out.subdirs) CFS_CHECK(list_subdir(store_fd, sub, store_path, out));
  std::sort(out.objects.begin(), out.objects.end(), [](const Entry& a, const Entry& b) { return a.path < b.path; });
  return out;
}

}  // namespace cfs::store
