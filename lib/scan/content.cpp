// ContentReader: one read of every regular file, on a pool of threads fed by the scan.
#include <algorithm>
#include <condition_variable>
#include <deque>
#include <fcntl.h>
#include <mutex>
#include <optional>
#include <thread>
#include <sys/stat.h>
#include <unistd.h>

#include "format/composefs.hpp"
#include "scan/scan.hpp"
#include "util/io.hpp"
#include "util/thread_budget.hpp"

namespace cfs::scan {
namespace {

namespace fmt = cfs::format;
constexpr size_t kReadChunk = 1 << 20;

}  // namespace

struct ContentReader::State {
  store::ObjectStore* store;
  Progress& progress;
  fsverity::HashAlg alg;
  UniqueFd root_fd;
  std::string root_path;
  util::SharedArena* strings = nullptr;  // the tree's: keeps what workers put into nodes
  bool read_xattrs = false;
  XattrFilter xattr_filter;

  std::mutex mutex;                 // guards queue, closed, error
  std::condition_variable ready;
  std::deque<FileWork> queue;
  bool closed = false;
  std::optional<Error> error;
  std::vector<std::thread> threads;
  // One token per thread: a worker holds one while it reads a file, and a big
  // file's digest borrows the tokens of idle workers for extra threads. So one
  // huge file uses every CPU, and many files never run more threads than CPUs.
  unsigned thread_count;
  ThreadBudget budget;

  State(store::ObjectStore* s, Progress& p, fsverity::HashAlg a, unsigned n)
      : store(s), progress(p), alg(a), thread_count(n), budget(n) {}
  void worker();
  Result<void> read_one(FileWork& work, std::vector<uint8_t>& buf, fsverity::Hasher& hasher);
  Result<void> read_big(int fd, tree::Node& node, const std::string& shown);
  Result<void> read_small_pair(FileWork& a, FileWork& b, std::vector<uint8_t>& buf);
  Result<void> read_contents(int fd, tree::Node& node, const std::string& shown, std::vector<uint8_t>& buf,
                             fsverity::Hasher& hasher);
  Result<UniqueFd> open_file(const FileWork& work, const std::string& shown);
  Result<void> finish_file(FileWork& work, int fd, const std::string& shown);
};

namespace {

// Non-empty and one fs-verity block at most: two such files are hashed together.
bool is_small(const FileWork& w) { return w.node->size > 0 && w.node->size <= fsverity::kSmallFileMax; }

// Reads exactly out.size() bytes; a file that ends early changed since the scan.
Result<void> read_exact(int fd, std::span<uint8_t> out, const std::string& shown) {
  while (!out.empty()) {
    ssize_t n = ::read(fd, out.data(), out.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error(errno, shown);
    if (n == 0) return make_error(EIO, shown + ": file changed size while being read");
    out = out.subspan(static_cast<size_t>(n));
  }
  return {};
}

}  // namespace

void ContentReader::State::worker() {
  std::vector<uint8_t> buf(kReadChunk);
  fsverity::Hasher hasher(alg);  // reused: finish() resets it
  const bool pairs = alg == fsverity::HashAlg::sha256;  // digest_pair_small is SHA-256's
  while (true) {
    FileWork work;
    std::optional<FileWork> partner;  // a second small file, hashed with the first
    {
      std::unique_lock lock(mutex);
      ready.wait(lock, [&] { return !queue.empty() || closed; });
      if (queue.empty() || error) return;
      work = std::move(queue.front());
      queue.pop_front();
      if (pairs && is_small(work) && !queue.empty() && is_small(queue.front())) {
        partner = std::move(queue.front());
        queue.pop_front();
      }
    }
    BudgetLease cpu(&budget);  // waits while a big file's threads use every CPU
    auto r = partner ? read_small_pair(work, *partner, buf) : read_one(work, buf, hasher);
    if (!r) {
      std::lock_guard lock(mutex);
      if (!error) error = r.take_error();
      queue.clear();
    }
  }
}

// Reads exactly node.size bytes (the size the scan saw): digest, inline data.
// A file that shrank fails here; one that grew or was rewritten is caught by
// the fstat afterwards, which saves the read that would return end of file.
Result<void> ContentReader::State::read_contents(int fd, tree::Node& node, const std::string& shown,
                                                 std::vector<uint8_t>& buf, fsverity::Hasher& hasher) {
  std::string inline_data;
  for (uint64_t total = 0; total < node.size;) {
    std::span<uint8_t> got(buf.data(), static_cast<size_t>(std::min<uint64_t>(buf.size(), node.size - total)));
    CFS_CHECK(read_exact(fd, got, shown));
    if (total + got.size() <= fmt::LCFS_RECOMMENDED_INLINE_CONTENT_MAX)
      inline_data.append(reinterpret_cast<const char*>(got.data()), got.size());
    hasher.update(got);
    total += got.size();
    progress.bytes_done.fetch_add(got.size());
  }
  if (!inline_data.empty()) node.content = strings->keep(inline_data);
  node.digest = strings->keep_value(hasher.finish());
  node.payload = strings->keep(store::object_path(*node.digest));
  return {};
}

Result<UniqueFd> ContentReader::State::open_file(const FileWork& work, const std::string& shown) {
  UniqueFd fd(::openat(root_fd.get(), work.path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return errno_error(errno, shown);
  return fd;
}

// After the digest: the copy into the store, the xattrs (read through the same
// fd), and the check that the file did not change since the scan saw it.
Result<void> ContentReader::State::finish_file(FileWork& work, int fd, const std::string& shown) {
  tree::Node& node = *work.node;
  if (store && node.size > fmt::LCFS_RECOMMENDED_INLINE_CONTENT_MAX)
    CFS_CHECK(store->add(fd, node.size, *node.digest, shown));
  if (read_xattrs) CFS_CHECK(read_xattrs_fd(fd, xattr_filter, shown, *strings, node));
  // A file changed since the scan saw it, or rewritten while we read or copied it,
  // would give a digest that does not match the data (and an object misnamed for
  // good): any write moves mtime or ctime.
  FileStat after = CFS_TRY(stat_fd(fd, shown));
  if (after.size != work.stamp.size || after.mtime != work.stamp.mtime || after.ctime != work.stamp.ctime)
    return make_error(EIO, shown + ": file changed while being read");
  progress.files_done.fetch_add(1);
  return {};
}

// C: lcfs_node_set_from_content with COMPUTE_DIGEST | BY_DIGEST, in one read,
// then read_xattrs through the same fd.
Result<void> ContentReader::State::read_one(FileWork& work, std::vector<uint8_t>& buf, fsverity::Hasher& hasher) {
  tree::Node& node = *work.node;
  const std::string shown = root_path + "/" + work.path;
  if (node.size == 0) {  // empty files get no digest, payload or content, and are not
    progress.files_done.fetch_add(1);  // opened: the scan has read their xattrs by path
    return {};
  }
  UniqueFd fd = CFS_TRY(open_file(work, shown));
  if (node.size >= fsverity::kParallelMinSize)
    CFS_CHECK(read_big(fd.get(), node, shown));
  else
    CFS_CHECK(read_contents(fd.get(), node, shown, buf, hasher));
  return finish_file(work, fd.get(), shown);
}

// A big file (far above the inline size): holes skipped, on the idle CPUs too.
Result<void> ContentReader::State::read_big(int fd, tree::Node& node, const std::string& shown) {
  fsverity::FileDigestOptions options{.threads = thread_count, .budget = &budget, .progress = &progress.bytes_done};
  auto digest = fsverity::digest_of_file(fd, node.size, alg, options);
  if (!digest) return make_error(digest.error().errnum, shown + ": " + digest.error().msg);
  node.digest = strings->keep_value(*digest);
  node.payload = strings->keep(store::object_path(*node.digest));
  return {};
}

// Two files of one block each: both read, then hashed together.
Result<void> ContentReader::State::read_small_pair(FileWork& a, FileWork& b, std::vector<uint8_t>& buf) {
  FileWork* works[2] = {&a, &b};
  std::string shown[2];
  UniqueFd fds[2];
  std::span<const uint8_t> data[2];
  for (int i = 0; i < 2; ++i) {
    tree::Node& node = *works[i]->node;
    shown[i] = root_path + "/" + works[i]->path;
    fds[i] = CFS_TRY(open_file(*works[i], shown[i]));
    std::span<uint8_t> out(buf.data() + i * fsverity::kSmallFileMax, node.size);
    CFS_CHECK(read_exact(fds[i].get(), out, shown[i]));
    data[i] = out;
    if (node.size <= fmt::LCFS_RECOMMENDED_INLINE_CONTENT_MAX)
      node.content = strings->keep({reinterpret_cast<const char*>(out.data()), out.size()});
    progress.bytes_done.fetch_add(node.size);
  }
  fsverity::Digest digests[2];
  fsverity::digest_pair_small(data[0], data[1], digests[0], digests[1]);
  for (int i = 0; i < 2; ++i) {
    tree::Node& node = *works[i]->node;
    node.digest = strings->keep_value(digests[i]);
    node.payload = strings->keep(store::object_path(digests[i]));
    CFS_CHECK(finish_file(*works[i], fds[i].get(), shown[i]));
  }
  return {};
}

ContentReader::ContentReader(unsigned threads, store::ObjectStore* store, Progress& progress, fsverity::HashAlg alg)
    : state_(std::make_unique<State>(store, progress, alg, std::max(1U, threads))) {
  for (unsigned i = 0; i < std::max(1U, threads); ++i) state_->threads.emplace_back([s = state_.get()] { s->worker(); });
}

ContentReader::~ContentReader() { cancel(); }

void ContentReader::cancel() {
  {
    std::lock_guard lock(state_->mutex);
    state_->closed = true;
    state_->queue.clear();
  }
  state_->ready.notify_all();
  for (auto& t : state_->threads)
    if (t.joinable()) t.join();
}

void ContentReader::set_root(tree::Tree& tree, int root_fd, std::string root_path, bool read_xattrs, XattrFilter filter) {
  state_->strings = &tree.strings();
  state_->root_fd.reset(::fcntl(root_fd, F_DUPFD_CLOEXEC, 0));
  state_->root_path = std::move(root_path);
  state_->read_xattrs = read_xattrs;
  state_->xattr_filter = filter;
}

void ContentReader::add(FileWork work) {
  state_->progress.files_total.fetch_add(1);
  state_->progress.bytes_total.fetch_add(work.node->size);
  {
    std::lock_guard lock(state_->mutex);
    if (state_->error) return;
    state_->queue.push_back(std::move(work));
  }
  state_->ready.notify_one();
}

Result<void> ContentReader::finish() {
  {
    std::lock_guard lock(state_->mutex);
    state_->closed = true;
  }
  state_->ready.notify_all();
  for (auto& t : state_->threads)
    if (t.joinable()) t.join();
  if (state_->error) return *state_->error;
  return {};
}

}  // namespace cfs::scan
