// What a store directory may hold, and a listing of it.
//
// A store is a directory whose entries are only:
//   xx/          two lowercase hex digits, a real directory (not a symlink), holding
//                objects named by the other 62 (SHA-256) or 126 (SHA-512)
//                lowercase hex digits of their fs-verity digest;
//   lost+found/  where fsck --repair moves what does not belong;
//   .tmp*        temporary files of a build (ours: .tmp-*, composefs-c's: .tmpXXXXXX).
// Anything else at the top level means the directory is not a store, and the
// tools that remove or move files refuse it: a typo must not make gc empty a
// home directory. Nothing inside is ever followed through a symlink.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include "format/digest.hpp"
#include "util/result.hpp"
#include "util/unique_fd.hpp"

namespace cfs::store {

inline constexpr const char* kLostFound = "lost+found";

/// True for "xx": two lowercase hex digits.
bool is_subdir_name(std::string_view name);
/// The algorithm an object's path ("xx/" + 62 or 126 digits) says it is hashed with.
inline format::HashAlg alg_of_object_path(std::string_view path) {
  return path.size() == 3 + 126 ? format::HashAlg::sha512 : format::HashAlg::sha256;
}
/// True for the 62 (SHA-256) or 126 (SHA-512) lowercase hex digits naming an
/// object inside its xx/.
bool is_object_name(std::string_view name);
/// True for the temporary files builds leave when killed (".tmp...").
bool is_temporary_name(std::string_view name);

/// One file (or other entry) found in a store.
struct Entry {
  std::string path;  // relative to the store: "xx/<62 hex>", ".tmp-abc", "xx/junk"
  mode_t mode = 0;   // st_mode (type and permissions), not following symlinks
  uint64_t size = 0;
  int64_t mtime = 0;  // seconds
  int64_t ctime = 0;
  /// Newest of mtime and ctime: what the grace period looks at (a link or
  /// rename sets ctime, so a freshly published object counts as new).
  int64_t changed() const { return mtime > ctime ? mtime : ctime; }
};

struct Listing {
  std::vector<Entry> objects;      // xx/<62 hex>, whatever their file type
  std::vector<Entry> temporaries;  // .tmp* at the top level or inside xx/
  std::vector<Entry> unexpected;   // anything else inside xx/
  std::vector<Entry> subdirs;      // the xx/ directories themselves
};

/// Opens `path` as a store: a directory that holds only what the rule above
/// allows. Fails with a message naming the first entry that breaks the rule.
Result<UniqueFd> open_store(const std::string& path);

/// Lists the store open at `store_fd` (objects sorted by path).
Result<Listing> list_store(int store_fd, const std::string& store_path);

}  // namespace cfs::store
