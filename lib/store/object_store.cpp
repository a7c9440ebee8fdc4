#include "store/object_store.hpp"

#include <atomic>
#include <cerrno>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/copy.hpp"
#include "util/file_stat.hpp"
#include "util/hex.hpp"
#include "util/io.hpp"

namespace cfs::store {
namespace {

// What the filesystems at hand have refused once is not asked again (they say
// so for every file alike): fs-verity.
std::atomic<bool> g_try_verity{true};

void try_enable_verity(int fd, fsverity::HashAlg alg) {
  if (!g_try_verity.load(std::memory_order_relaxed)) return;
  auto r = fsverity::enable_fd(fd, alg);
  if (!r && fsverity::enable_unsupported(r.error().errnum)) g_try_verity.store(false);
}

std::string temp_name() {
  static const char chars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  uint8_t bytes[10];
  if (::getentropy(bytes, sizeof bytes) != 0)
    for (auto& b : bytes) b = static_cast<uint8_t>(::random());
  std::string s = ".tmp-";
  for (uint8_t b : bytes) s += chars[b % (sizeof chars - 1)];
  return s;
}

// How many anonymous objects may stay open: half the fd limit, after raising the
// soft limit to the hard one (we never use select(), the reason for low soft limits).
size_t open_file_budget() {
  struct rlimit rl;
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return 256;
  if (rl.rlim_cur < rl.rlim_max) {
    rlim_t want = rl.rlim_max == RLIM_INFINITY ? (1 << 20) : rl.rlim_max;
    struct rlimit raised = {want, rl.rlim_max};
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) rl.rlim_cur = want;
  }
  return std::max<size_t>(64, rl.rlim_cur / 2);
}

}  // namespace

std::string object_path(const fsverity::Digest& digest) {
  std::string hex = to_hex(digest);
  return hex.substr(0, 2) + "/" + hex.substr(2);
}

Result<ObjectStore> ObjectStore::open(const std::string& path, const StoreOptions& options) {
  if (::mkdir(path.c_str(), 0755) < 0 && errno != EEXIST) return errno_error(errno, path);
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno_error(errno, path);
  return ObjectStore(path, UniqueFd(fd), options);
}

ObjectStore::ObjectStore(std::string path, UniqueFd dir, const StoreOptions& options)
    : path_(std::move(path)),
      dir_(std::move(dir)),
      use_tmpfile_(options.use_tmpfile),
      max_open_(options.max_open ? options.max_open : open_file_budget()),
      verity_alg_(options.verity_alg) {}

ObjectStore::ObjectStore(ObjectStore&& o) noexcept
    : path_(std::move(o.path_)), dir_(std::move(o.dir_)), queued_(std::move(o.queued_)),
      made_dirs_(std::move(o.made_dirs_)), pending_(std::move(o.pending_)), use_tmpfile_(o.use_tmpfile_),
      max_open_(o.max_open_), verity_alg_(o.verity_alg_) {
  o.pending_.clear();
}

ObjectStore::~ObjectStore() {
  for (const auto& p : pending_)
    if (!p.tmp_name.empty()) ::unlinkat(dir_.get(), p.tmp_name.c_str(), 0);
}

bool ObjectStore::contains(const fsverity::Digest& digest) {
  std::string name = object_path(digest);
  {
    std::lock_guard lock(mutex_);
    if (queued_.count(name)) return true;
  }
  return stat_at(dir_.get(), name.c_str(), AT_SYMLINK_NOFOLLOW, name).ok();
}

Result<void> ObjectStore::ensure_subdir(const std::string& name) {
  {
    std::lock_guard lock(mutex_);
    if (made_dirs_.count(name)) return {};
  }
  if (::mkdirat(dir_.get(), name.c_str(), 0755) < 0 && errno != EEXIST) return errno_error(errno, path_ + "/" + name);
  std::lock_guard lock(mutex_);
  made_dirs_.insert(name);
  return {};
}

Result<ObjectStore::Pending> ObjectStore::copy_to_temp(int src_fd, uint64_t size, const std::string& src_name,
                                                      const std::string& subdir) {
  bool anonymous;
  {
    std::lock_guard lock(mutex_);
    anonymous = use_tmpfile_;
  }
  if (anonymous) {
    auto staged = copy_to_anonymous(src_fd, size, src_name, subdir);
    if (staged || !tmpfile_unsupported(staged.error().errnum)) return staged;
    std::lock_guard lock(mutex_);
    use_tmpfile_ = false;  // this filesystem has no O_TMPFILE (or no /proc to link it)
  }
  return copy_to_named(src_fd, size, src_name);
}

// The copy is an O_TMPFILE file: it has no name until publish() links it. It is
// made in its final directory (`subdir`, "xx"), so filesystems place the inode
// near that directory's; on ext4 that also spreads new inodes over the block
// groups of the 256 subdirectories instead of scanning one group's bitmap.
Result<ObjectStore::Pending> ObjectStore::copy_to_anonymous(int src_fd, uint64_t size, const std::string& src_name,
                                                           const std::string& subdir) {
  UniqueFd dst(::openat(dir_.get(), subdir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644));
  if (!dst.valid()) return errno_error(errno, path_);
  auto copied = copy_file_contents(src_fd, dst.get(), size);
  if (copied && ::fchmod(dst.get(), 0644) < 0) copied = errno_error(errno, path_);  // readable by all, whatever the umask
  if (!copied) return make_error(copied.error().errnum, "copying " + src_name + " into " + path_ + ": " + copied.error().msg);
  // fs-verity needs a file with no writers: reopen read-only, then drop the writer.
  UniqueFd ro(::open(proc_fd_path(dst.get()).c_str(), O_RDONLY | O_CLOEXEC));
  if (!ro.valid()) return make_error(EOPNOTSUPP, "cannot reopen an O_TMPFILE file (is /proc mounted?)");
  dst.reset();
  try_enable_verity(ro.get(), verity_alg_);  // where unsupported we go on without it
  return Pending{std::move(ro), "", ""};
}

Result<ObjectStore::Pending> ObjectStore::copy_to_named(int src_fd, uint64_t size, const std::string& src_name) {
  std::string tmp;
  UniqueFd dst;
  for (int attempt = 0; !dst.valid(); ++attempt) {
    tmp = temp_name();
    dst.reset(::openat(dir_.get(), tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!dst.valid() && (errno != EEXIST || attempt > 100)) return errno_error(errno, path_ + "/" + tmp);
  }
  auto copied = copy_file_contents(src_fd, dst.get(), size);
  if (copied && ::fchmod(dst.get(), 0644) < 0) copied = errno_error(errno, path_ + "/" + tmp);  // readable by all, whatever the umask
  if (!copied) {
    ::unlinkat(dir_.get(), tmp.c_str(), 0);
    return make_error(copied.error().errnum, "copying " + src_name + " into " + path_ + ": " + copied.error().msg);
  }
  dst.reset();
  // fs-verity needs a file with no writers; where it is unsupported we go on without it.
  UniqueFd ro(::openat(dir_.get(), tmp.c_str(), O_RDONLY | O_CLOEXEC));
  if (ro.valid()) try_enable_verity(ro.get(), verity_alg_);
  return Pending{UniqueFd(), std::move(tmp), ""};
}

Result<void> ObjectStore::add(int src_fd, uint64_t size, const fsverity::Digest& digest, const std::string& src_name) {
  std::string name = object_path(digest);
  {
    std::lock_guard lock(mutex_);
    if (!queued_.insert(name).second) return {};  // another file with the same content
  }
  if (stat_at(dir_.get(), name.c_str(), AT_SYMLINK_NOFOLLOW, name)) return {};
  CFS_CHECK(ensure_subdir(name.substr(0, 2)));
  Pending staged = CFS_TRY(copy_to_temp(src_fd, size, src_name, name.substr(0, 2)));
  return queue_pending(std::move(staged), std::move(name));
}

Result<void> ObjectStore::queue_pending(Pending&& staged, std::string final_name) {
  staged.final_name = std::move(final_name);
  std::lock_guard lock(mutex_);
  pending_.push_back(std::move(staged));
  // Too many open anonymous files: make these durable and visible now.
  if (pending_.back().file.valid() && pending_.size() >= max_open_) return publish_locked();
  return {};
}

NewObject& NewObject::operator=(NewObject&& o) noexcept {
  if (this != &o) {
    discard();
    file_ = std::move(o.file_);
    tmp_name_ = std::exchange(o.tmp_name_, {});
    dir_fd_ = o.dir_fd_;
  }
  return *this;
}

NewObject::~NewObject() { discard(); }

void NewObject::discard() {
  if (!tmp_name_.empty()) ::unlinkat(dir_fd_, tmp_name_.c_str(), 0);
  tmp_name_.clear();
  file_.reset();
}

// Made at the top of the store (its final "xx" is not known yet); publish() links
// or renames it into place like the copies of add().
Result<NewObject> ObjectStore::create_object() {
  NewObject obj;
  obj.dir_fd_ = dir_.get();
  bool anonymous;
  {
    std::lock_guard lock(mutex_);
    anonymous = use_tmpfile_;
  }
  if (anonymous) {
    obj.file_.reset(::openat(dir_.get(), ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0644));
    if (obj.file_.valid()) return obj;
    if (!tmpfile_unsupported(errno)) return errno_error(errno, path_);
    std::lock_guard lock(mutex_);
    use_tmpfile_ = false;
  }
  for (int attempt = 0; !obj.file_.valid(); ++attempt) {
    obj.tmp_name_ = temp_name();
    obj.file_.reset(::openat(dir_.get(), obj.tmp_name_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!obj.file_.valid() && (errno != EEXIST || attempt > 100)) {
      int err = errno;
      return errno_error(err, path_ + "/" + std::exchange(obj.tmp_name_, {}));
    }
  }
  return obj;
}

Result<void> ObjectStore::add_new(NewObject&& object, const fsverity::Digest& digest, const std::string& src_name) {
  std::string name = object_path(digest);
  {
    std::lock_guard lock(mutex_);
    if (!queued_.insert(name).second) return {};  // dropped: the same content is queued
  }
  if (stat_at(dir_.get(), name.c_str(), AT_SYMLINK_NOFOLLOW, name)) return {};
  CFS_CHECK(ensure_subdir(name.substr(0, 2)));
  if (::fchmod(object.fd(), 0644) < 0) return errno_error(errno, "storing " + src_name + " in " + path_);  // whatever the umask
  Pending staged;
  if (object.tmp_name_.empty()) {
    // fs-verity needs a file with no writers: reopen read-only, then drop the writer.
    staged.file.reset(::open(proc_fd_path(object.fd()).c_str(), O_RDONLY | O_CLOEXEC));
    if (!staged.file.valid()) return make_error(EOPNOTSUPP, "cannot reopen an O_TMPFILE file (is /proc mounted?)");
    object.file_.reset();
    try_enable_verity(staged.file.get(), verity_alg_);
  } else {
    object.file_.reset();
    UniqueFd ro(::openat(dir_.get(), object.tmp_name_.c_str(), O_RDONLY | O_CLOEXEC));
    if (ro.valid()) try_enable_verity(ro.get(), verity_alg_);
    staged.tmp_name = std::exchange(object.tmp_name_, {});  // the store removes it from now on
  }
  return queue_pending(std::move(staged), std::move(name));
}

void ObjectStore::drop_pending_except(const std::unordered_set<std::string>& keep) {
  std::lock_guard lock(mutex_);
  std::erase_if(pending_, [&](Pending& p) {
    if (keep.count(p.final_name)) return false;
    queued_.erase(p.final_name);
    if (!p.tmp_name.empty()) ::unlinkat(dir_.get(), p.tmp_name.c_str(), 0);
    return true;  // an anonymous file goes with its fd
  });
}

Result<void> ObjectStore::publish() {
  std::lock_guard lock(mutex_);
  return publish_locked();
}

Result<void> ObjectStore::publish_locked() {
  if (pending_.empty()) return {};
  // One syncfs instead of an fsync per object: the data of every added object
  // is on disk before any of them gets its final name.
  if (::syncfs(dir_.get()) < 0) return errno_error(errno, path_);
  for (auto& p : pending_) {
    if (p.file.valid()) {
      std::string proc = proc_fd_path(p.file.get());
      // EEXIST: a concurrent build stored the same object (same name, same bytes).
      if (::linkat(AT_FDCWD, proc.c_str(), dir_.get(), p.final_name.c_str(), AT_SYMLINK_FOLLOW) < 0 && errno != EEXIST)
        return errno_error(errno, path_ + "/" + p.final_name);
      p.file.reset();
    } else {
      if (::renameat(dir_.get(), p.tmp_name.c_str(), dir_.get(), p.final_name.c_str()) < 0)
        return errno_error(errno, path_ + "/" + p.final_name);
      p.tmp_name.clear();
    }
  }
  pending_.clear();
  // Make the new names themselves durable.
  if (::syncfs(dir_.get()) < 0) return errno_error(errno, path_);
  return {};
}

}  // namespace cfs::store
