// The content-addressed object store: file data named by its fs-verity digest as
// STORE/xx/<62 hex digits> (SHA-256) or xx/<126 hex digits> (SHA-512), mode 0644,
// shared by every image built against it.
#pragma once

#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "fsverity/fsverity.hpp"
#include "util/result.hpp"
#include "util/unique_fd.hpp"

namespace cfs::store {

/// "xx/yyyy..." (2 + 1 + 62 characters, 126 for SHA-512): an object's path inside
/// the store, and the payload composefs records for it.
std::string object_path(const fsverity::Digest& digest);

struct StoreOptions {
  bool use_tmpfile = true;  // false: named temporary files even where O_TMPFILE works
  size_t max_open = 0;      // anonymous files kept open at most; 0: half the fd limit
  fsverity::HashAlg verity_alg = fsverity::HashAlg::sha256;  // fs-verity enabled with this (the image's)
};

/// Adds objects so that none ever appears under its final name incomplete.
///
/// add() copies content into an anonymous O_TMPFILE file in the store (reflink,
/// else copy_file_range, else read/write) and keeps it open; publish() makes every
/// added object durable with one syncfs() and only then links them into place.
/// A killed run leaves nothing behind. When more files are open than the fd limit
/// comfortably allows, add() publishes the ones so far first. Where the
/// filesystem has no O_TMPFILE, named temporary files ".tmp-*" are renamed
/// instead (and removed when the store object is destroyed unpublished).
/// add() may be called from several threads at once.
/// An object written before its digest is known (contents streamed from an
/// archive): an anonymous O_TMPFILE file in the store directory, or a named
/// ".tmp-*" one where O_TMPFILE is missing (removed again if never added).
class NewObject {
 public:
  NewObject() = default;
  NewObject(NewObject&& o) noexcept = default;
  NewObject& operator=(NewObject&& o) noexcept;
  ~NewObject();
  int fd() const { return file_.get(); }

 private:
  friend class ObjectStore;
  void discard();
  UniqueFd file_;         // open for writing
  std::string tmp_name_;  // the named temporary file, or empty
  int dir_fd_ = -1;       // the store's, for removing tmp_name_
};

class ObjectStore {
 public:
  /// Opens (creating it if needed) the store directory.
  static Result<ObjectStore> open(const std::string& path, const StoreOptions& options = {});
  ObjectStore(ObjectStore&& o) noexcept;
  ObjectStore& operator=(ObjectStore&&) = delete;
  ~ObjectStore();

  /// The store directory (for StoreLock).
  int dir_fd() const { return dir_.get(); }

  /// True when the object is already in the store (or queued by add()).
  bool contains(const fsverity::Digest& digest);
  /// Copies `size` bytes of `src_fd` (from offset 0) as the object `digest`, unless
  /// it is present already. `src_name` is used in error messages.
  Result<void> add(int src_fd, uint64_t size, const fsverity::Digest& digest, const std::string& src_name);
  /// A new empty object file to write contents into (from offset 0).
  Result<NewObject> create_object();
  /// Adds a file from create_object(), now holding exactly the contents of
  /// `digest`, under that name (published with the others); dropped instead if
  /// the object is present already. `src_name` is used in error messages.
  Result<void> add_new(NewObject&& object, const fsverity::Digest& digest, const std::string& src_name);
  /// Forgets the added, unpublished objects whose path ("xx/...") is not in
  /// `keep` (their files go): for builds that add contents before they know
  /// which ones the image will use (a file a later image layer deletes).
  void drop_pending_except(const std::unordered_set<std::string>& keep);
  /// syncfs, then give every added object its final name (link or rename), then
  /// syncfs again for the names.
  Result<void> publish();

 private:
  struct Pending {
    UniqueFd file;          // the anonymous file (read-only), or invalid when named
    std::string tmp_name;   // the named temporary file, or empty
    std::string final_name;
  };
  ObjectStore(std::string path, UniqueFd dir, const StoreOptions& options);
  Result<Pending> copy_to_temp(int src_fd, uint64_t size, const std::string& src_name, const std::string& subdir);
  Result<Pending> copy_to_anonymous(int src_fd, uint64_t size, const std::string& src_name, const std::string& subdir);
  Result<Pending> copy_to_named(int src_fd, uint64_t size, const std::string& src_name);
  Result<void> ensure_subdir(const std::string& name);
  Result<void> queue_pending(Pending&& staged, std::string final_name);
  Result<void> publish_locked();  // mutex_ held

  std::string path_;
  UniqueFd dir_;
  std::mutex mutex_;                  // guards the three containers and use_tmpfile_ below
  std::unordered_set<std::string> queued_;
  std::unordered_set<std::string> made_dirs_;
  std::vector<Pending> pending_;
  bool use_tmpfile_ = true;  // cleared (under mutex_) when O_TMPFILE is not available
  size_t max_open_ = 0;      // anonymous files kept open before publishing early
  fsverity::HashAlg verity_alg_;
};

}  // namespace cfs::store
