// fill_contents: one read of every regular file, on a pool of threads.
#include <algorithm>
#include <mutex>
#include <fcntl.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

#include "format/composefs.hpp"
#include "scan/scan.hpp"
#include "util/io.hpp"

namespace cfs::scan {
namespace {

namespace fmt = cfs::format;
constexpr size_t kReadChunk = 1 << 20;

class ContentFiller {
 public:
  ContentFiller(ScanResult& scan, store::ObjectStore* store, Progress& progress)
      : scan_(scan), store_(store), progress_(progress) {}

  void worker() {
    std::vector<uint8_t> buf(kReadChunk);
    while (!failed_.load()) {
      size_t i = next_.fetch_add(1);
      if (i >= scan_.files.size()) return;
      auto r = fill_one(scan_.files[i], buf);
      if (!r) fail(r.take_error());
    }
  }

  Result<void> result() {
    if (failed_.load()) return error_;
    return {};
  }

 private:
  Result<void> fill_one(FileWork& work, std::vector<uint8_t>& buf);
  void fail(Error e) {
    std::lock_guard lock(error_mutex_);
    if (!failed_.exchange(true)) error_ = std::move(e);
  }

  ScanResult& scan_;
  store::ObjectStore* store_;
  Progress& progress_;
  std::atomic<size_t> next_{0};
  std::atomic<bool> failed_{false};
  std::mutex error_mutex_;
  Error error_;
};

// C: lcfs_node_set_from_content with COMPUTE_DIGEST | BY_DIGEST, in one read.
Result<void> ContentFiller::fill_one(FileWork& work, std::vector<uint8_t>& buf) {
  tree::Node& node = *work.node;
  const std::string shown = scan_.root_path + "/" + work.path;
  if (node.size == 0) {  // empty files get no digest, payload or content
    progress_.files_done.fetch_add(1);
    return {};
  }
  UniqueFd fd(::openat(scan_.root_fd.get(), work.path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return errno_error(errno, shown);
  fsverity::Hasher hasher;
  uint64_t total = 0;
  while (true) {
    size_t n = CFS_TRY(read_full(fd.get(), buf));
    if (n == 0) break;
    total += n;
    if (total > node.size) return make_error(EIO, shown + ": file grew while being read");
    if (total <= fmt::LCFS_RECOMMENDED_INLINE_CONTENT_MAX) node.content.append(reinterpret_cast<const char*>(buf.data()), n);
    hasher.update(std::span<const uint8_t>(buf.data(), n));
    progress_.bytes_done.fetch_add(n);
    if (n < buf.size()) break;
  }
  if (total != node.size) return make_error(EIO, shown + ": file changed size while being read");
  node.digest = hasher.finish();
  node.payload = store::object_path(*node.digest);
  if (node.size > fmt::LCFS_RECOMMENDED_INLINE_CONTENT_MAX) {
    node.content.clear();
    if (store_) CFS_CHECK(store_->add(fd.get(), node.size, *node.digest, shown));
  }
  progress_.files_done.fetch_add(1);
  return {};
}

}  // namespace

Result<void> fill_contents(ScanResult& scan, unsigned threads, store::ObjectStore* store, Progress& progress) {
  progress.files_total = scan.files.size();
  for (const auto& f : scan.files) progress.bytes_total += f.node->size;
  ContentFiller filler(scan, store, progress);
  unsigned n = std::max(1U, std::min<unsigned>(threads, static_cast<unsigned>(scan.files.size())));
  std::vector<std::thread> pool;
  for (unsigned i = 1; i < n; ++i) pool.emplace_back([&] { filler.worker(); });
  filler.worker();
  for (auto& t : pool) t.join();
  return filler.result();
}

}  // namespace cfs::scan
