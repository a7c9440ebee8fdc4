#include "store/hash_objects.hpp"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

#include "util/cpus.hpp"
#include "util/file_stat.hpp"
#include "util/hex.hpp"
#include "util/io.hpp"
#include "util/thread_budget.hpp"

namespace cfs::store {
namespace {

// Objects handed to a thread at a time: enough to pair small files, few enough
// to keep both cores busy to the end.
constexpr size_t kChunk = 64;

// Once a filesystem says it has no fs-verity, the ioctl is not tried again.
std::atomic<bool> g_try_measure{true};

bool digest_matches_name(const fsverity::Digest& d, const std::string& path) {
  std::string hex = to_hex(d);
  return path.size() == hex.size() + 1 && path.compare(0, 2, hex, 0, 2) == 0 && path.compare(3, std::string::npos, hex, 2) == 0;
}

class Worker {
 public:
  Worker(int store_fd, const std::vector<Entry>& objects, std::vector<ObjectHash>& out, ThreadBudget& budget,
         unsigned threads)
      : store_fd_(store_fd), objects_(objects), out_(out), budget_(budget), threads_(threads),
        buffer_(size_t{1} << 20) {}

  void run(std::atomic<size_t>& next) {
    // Held until this worker runs out of objects: then a big object still being
    // hashed by another worker may use this CPU.
    BudgetLease cpu(&budget_);
    for (;;) {
      size_t start = next.fetch_add(kChunk);
      if (start >= objects_.size()) break;
      size_t end = std::min(start + kChunk, objects_.size());
      for (size_t i = start; i < end; ++i) hash_one(i);
    }
    flush_pending();
  }

 private:
  void finish(size_t i, const fsverity::Digest& d) {
    out_[i].digest = d;
    out_[i].matches_name = digest_matches_name(d, objects_[i].path);
  }

  void hash_one(size_t i) {
    ObjectHash& r = out_[i];
    if (!S_ISREG(objects_[i].mode)) return void(r.error = "not a regular file");
    UniqueFd fd(::openat(store_fd_, objects_[i].path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
    if (!fd.valid()) return void(r.error = std::string("cannot open: ") + std::strerror(errno));
    if (measured(fd.get(), i)) return;
    if (objects_[i].size >= fsverity::kParallelMinSize) return hash_big(fd.get(), i);
    // Small files wait for a partner so two are hashed at once.
    auto n = read_full(fd.get(), std::span<uint8_t>(small_[slot_].data(), small_[slot_].size()));
    if (!n) return void(r.error = "cannot read: " + n.error().msg);
    const fsverity::HashAlg alg = alg_of_object_path(objects_[i].path);
    const bool sha256 = alg == fsverity::HashAlg::sha256;  // only SHA-256 is hashed in pairs
    if (sha256 && *n <= fsverity::kSmallFileMax && *n > 0) return queue_small(i, *n);
    if (*n == 0) return finish(i, fsverity::digest_of({}, alg));
    if (::lseek(fd.get(), 0, SEEK_SET) < 0) return void(r.error = std::string("cannot read: ") + std::strerror(errno));
    auto d = fsverity::digest_of_fd(fd.get(), sha256 ? hasher_ : hasher512_, buffer_);
    if (!d) return void(r.error = "cannot read: " + d.error().msg);
    finish(i, *d);
  }

  // Holes skipped, on the CPUs of workers that have finished.
  void hash_big(int fd, size_t i) {
    auto st = stat_fd(fd, "");
    if (!st) return void(out_[i].error = std::string("cannot read: ") + std::strerror(st.error().errnum));
    fsverity::FileDigestOptions options{.threads = threads_, .budget = &budget_};
    auto d = fsverity::digest_of_file(fd, st->size, alg_of_object_path(objects_[i].path), options);
    if (!d) return void(out_[i].error = "cannot read: " + d.error().msg);
    finish(i, *d);
  }

  // True when the kernel measured the object (fs-verity enabled on it).
  bool measured(int fd, size_t i) {
    ObjectHash& r = out_[i];
    r.verity = ObjectHash::Verity::unsupported;
    if (!g_try_measure.load(std::memory_order_relaxed)) return false;
    auto m = fsverity::measure_fd(fd);
    if (m) {
      r.verity = ObjectHash::Verity::enabled;
      finish(i, *m);
      return true;
    }
    int e = m.error().errnum;
    if (e == ENODATA) r.verity = ObjectHash::Verity::missing;
    else if (fsverity::verity_unsupported(e)) g_try_measure.store(false, std::memory_order_relaxed);
    return false;
  }

  void queue_small(size_t i, size_t len) {
    pending_[slot_] = {i, len};
    if (slot_ == 0) return void(slot_ = 1);
    fsverity::Digest a, b;
    fsverity::digest_pair_small({small_[0].data(), pending_[0].len}, {small_[1].data(), pending_[1].len}, a, b);
    finish(pending_[0].index, a);
    finish(pending_[1].index, b);
    slot_ = 0;
  }

  void flush_pending() {
    if (slot_ == 1) finish(pending_[0].index, fsverity::digest_of({small_[0].data(), pending_[0].len}));
    slot_ = 0;
  }

  struct Pending {
    size_t index = 0;
    size_t len = 0;
  };
  int store_fd_;
  const std::vector<Entry>& objects_;
  std::vector<ObjectHash>& out_;
  ThreadBudget& budget_;
  unsigned threads_;
  fsverity::Hasher hasher_;
  fsverity::Hasher hasher512_{fsverity::HashAlg::sha512};  // objects of SHA-512 stores
  std::vector<uint8_t> buffer_;
  // One byte more than a small file: a read that fills it means "not small".
  std::array<std::array<uint8_t, fsverity::kSmallFileMax + 1>, 2> small_{};
  Pending pending_[2];
  int slot_ = 0;  // which small_ buffer the next small file goes to
};

}  // namespace

std::vector<ObjectHash> hash_objects(int store_fd, const std::vector<Entry>& objects, unsigned threads) {
  std::vector<ObjectHash> out(objects.size());
  if (threads == 0) threads = available_cpus();
  const unsigned cpus = threads;  // a big object may use them all once the other workers are done
  threads = static_cast<unsigned>(std::min<size_t>(threads, objects.size() / kChunk + 1));
  ThreadBudget budget(cpus);
  std::atomic<size_t> next{0};
  std::vector<std::thread> pool;
  std::vector<std::unique_ptr<Worker>> workers;
  for (unsigned t = 0; t < threads; ++t)
    workers.push_back(std::make_unique<Worker>(store_fd, objects, out, budget, cpus));
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back([&, t] { workers[t]->run(next); });
  workers[0]->run(next);
  for (auto& th : pool) th.join();
  return out;
}

}  // namespace cfs::store
