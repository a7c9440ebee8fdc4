// ContentReader: one read of every regular file, on a pool of threads fed by the scan.
#include <algorithm>
#include <condition_variable>
#include <deque>
#include <fcntl.h>
#include <mutex>
#include <thread>
#include <sys/stat.h>
#include <unistd.h>

#include "format/composefs.hpp"
#include "scan/scan.hpp"
#include "util/io.hpp"

namespace cfs::scan {
namespace {

namespace fmt = cfs::format;
constexpr size_t kReadChunk = 1 << 20;

}  // namespace

struct ContentReader::State {
  store::ObjectStore* store;
  Progress& progress;
  UniqueFd root_fd;
  std::string root_path;

  std::mutex mutex;                 // guards queue, closed, error
  std::condition_variable ready;
  std::deque<FileWork> queue;
  bool closed = false;
  std::optional<Error> error;
  std::vector<std::thread> threads;

  State(store::ObjectStore* s, Progress& p) : store(s), progress(p) {}
  void worker();
  Result<void> read_one(FileWork& work, std::vector<uint8_t>& buf);
};

void ContentReader::State::worker() {
  std::vector<uint8_t> buf(kReadChunk);
  while (true) {
    FileWork work;
    {
      std::unique_lock lock(mutex);
      ready.wait(lock, [&] { return !queue.empty() || closed; });
      if (queue.empty() || error) return;
      work = std::move(queue.front());
      queue.pop_front();
    }
    auto r = read_one(work, buf);
    if (!r) {
      std::lock_guard lock(mutex);
      if (!error) error = r.take_error();
      queue.clear();
    }
  }
}

// C: lcfs_node_set_from_content with COMPUTE_DIGEST | BY_DIGEST, in one read.
Result<void> ContentReader::State::read_one(FileWork& work, std::vector<uint8_t>& buf) {
  tree::Node& node = *work.node;
  if (node.size == 0) {  // empty files get no digest, payload or content
    progress.files_done.fetch_add(1);
    return {};
  }
  const std::string shown = root_path + "/" + work.path;
  UniqueFd fd(::openat(root_fd.get(), work.path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return errno_error(errno, shown);
  struct stat before;
  if (::fstat(fd.get(), &before) < 0) return errno_error(errno, shown);
  fsverity::Hasher hasher;
  uint64_t total = 0;
  while (true) {
    auto n = read_full(fd.get(), buf);
    if (!n) return errno_error(n.error().errnum, shown);
    total += *n;
    if (total > node.size) return make_error(EIO, shown + ": file grew while being read");
    if (total <= fmt::LCFS_RECOMMENDED_INLINE_CONTENT_MAX) node.content.append(reinterpret_cast<const char*>(buf.data()), *n);
    hasher.update(std::span<const uint8_t>(buf.data(), *n));
    progress.bytes_done.fetch_add(*n);
    if (*n < buf.size()) break;
  }
  if (total != node.size) return make_error(EIO, shown + ": file changed size while being read");
  node.digest = hasher.finish();
  node.payload = store::object_path(*node.digest);
  if (node.size > fmt::LCFS_RECOMMENDED_INLINE_CONTENT_MAX) {
    node.content.clear();
    if (store) CFS_CHECK(store->add(fd.get(), node.size, *node.digest, shown));
  }
  // A file rewritten in place while we read or copied it would give a digest that
  // does not match the data (and an object misnamed for good): any write moves ctime.
  struct stat after;
  if (::fstat(fd.get(), &after) < 0) return errno_error(errno, shown);
  if (after.st_size != before.st_size || after.st_mtim.tv_sec != before.st_mtim.tv_sec ||
      after.st_mtim.tv_nsec != before.st_mtim.tv_nsec || after.st_ctim.tv_sec != before.st_ctim.tv_sec ||
      after.st_ctim.tv_nsec != before.st_ctim.tv_nsec)
    return make_error(EIO, shown + ": file changed while being read");
  progress.files_done.fetch_add(1);
  return {};
}

ContentReader::ContentReader(unsigned threads, store::ObjectStore* store, Progress& progress)
    : state_(std::make_unique<State>(store, progress)) {
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

void ContentReader::set_root(int root_fd, std::string root_path) {
  state_->root_fd.reset(::fcntl(root_fd, F_DUPFD_CLOEXEC, 0));
  state_->root_path = std::move(root_path);
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
