// digest_of_file: one file's fs-verity digest, holes skipped, big files cut into
// subtree-aligned pieces hashed on several threads.
#include <algorithm>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <unistd.h>

#include "fsverity/fsverity.hpp"
#include "util/extents.hpp"
#include "util/io.hpp"

namespace cfs::fsverity {
namespace {

// Pieces are level-1 subtrees (512 KiB with SHA-256, 256 KiB with SHA-512): small
// enough that the data and hole edges inside pieces cost little.
constexpr unsigned kPieceLevel = 1;
// pread size: the data is still in the L2 cache when it is hashed.
constexpr size_t kReadSize = size_t{256} << 10;
// A thread takes this many bytes of pieces at a time from the shared counter.
constexpr uint64_t kUnitBytes = uint64_t{8} << 20;
// Piece hashes held at once (64 bytes each at most): bounds memory for any size.
constexpr uint64_t kWindowPieces = 4096;

// Hashes byte ranges of one file into a Hasher: holes as zeros, data by pread.
class RangeHasher {
 public:
  RangeHasher(int fd, uint64_t size, HashAlg alg, std::atomic<uint64_t>* progress)
      : fd_(fd), hasher_(alg), extents_(fd, size), buf_(kReadSize), progress_(progress) {}

  Hasher& hasher() { return hasher_; }

  Result<void> hash(ByteRange range) {
    for (uint64_t pos = range.begin; pos < range.end;) {
      ByteRange data = extents_.next_data(pos);
      uint64_t hole_end = std::min(data.begin, range.end);
      if (hole_end > pos) {
        hasher_.update_zeros(hole_end - pos);
        count(hole_end - pos);
        pos = hole_end;
        continue;
      }
      uint64_t data_end = std::min(data.end, range.end);
      CFS_CHECK(hash_data(pos, data_end));
      pos = data_end;
    }
    return {};
  }

 private:
  Result<void> hash_data(uint64_t begin, uint64_t end) {
    while (begin < end) {
      size_t want = static_cast<size_t>(std::min<uint64_t>(buf_.size(), end - begin));
      ssize_t n = ::pread(fd_, buf_.data(), want, static_cast<off_t>(begin));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return errno_error(errno, "read");
      if (n == 0) return make_error(EIO, "file changed size while being read");
      hasher_.update({buf_.data(), static_cast<size_t>(n)});
      count(static_cast<uint64_t>(n));
      begin += static_cast<uint64_t>(n);
    }
    return {};
  }

  void count(uint64_t bytes) {
    if (progress_) progress_->fetch_add(bytes, std::memory_order_relaxed);
  }

  int fd_;
  Hasher hasher_;
  DataExtents extents_;
  std::vector<uint8_t> buf_;
  std::atomic<uint64_t>* progress_;
};

// A run of pieces in file order: all hole (appended as zeros) or to be hashed.
struct Segment {
  uint64_t first_piece = 0;
  uint64_t pieces = 0;
  bool hole = false;
};

// What threads take: `pieces` pieces from `first_piece`, their hashes going to
// results[result_index...].
struct Unit {
  uint64_t first_piece = 0;
  uint64_t pieces = 0;
  size_t result_index = 0;
};

// The pieces of a file, a window of at most kWindowPieces data pieces at a time:
// holes found by the coordinator go straight into the combining Hasher, data
// pieces are hashed by the threads, then appended in file order.
class ParallelDigest {
 public:
  ParallelDigest(int fd, uint64_t size, HashAlg alg, const FileDigestOptions& options)
      : fd_(fd), size_(size), alg_(alg), options_(options), piece_bytes_(Hasher::subtree_size(alg, kPieceLevel)),
        piece_count_((size + piece_bytes_ - 1) / piece_bytes_), extents_(fd, size), combiner_(alg) {}

  Result<Digest> run() {
    while (next_piece_ < piece_count_) {
      std::vector<Segment> window = plan_window();
      std::vector<Digest> results = CFS_TRY(hash_window(window));
      append_window(window, results);
    }
    return combiner_.finish();
  }

 private:
  ByteRange bytes_of(uint64_t first_piece, uint64_t pieces) const {
    return {first_piece * piece_bytes_, std::min(size_, (first_piece + pieces) * piece_bytes_)};
  }

  std::vector<Segment> plan_window();
  Result<std::vector<Digest>> hash_window(const std::vector<Segment>& window);
  void work(const std::vector<Unit>& units, std::vector<Digest>& results);
  void append_window(const std::vector<Segment>& window, const std::vector<Digest>& results);

  int fd_;
  uint64_t size_;
  HashAlg alg_;
  FileDigestOptions options_;
  uint64_t piece_bytes_;
  uint64_t piece_count_;
  DataExtents extents_;  // the coordinator's: finds the holes that cover whole pieces
  Hasher combiner_;
  uint64_t next_piece_ = 0;
  // Shared by the threads of one window.
  std::atomic<size_t> next_unit_{0};
  std::mutex error_mutex_;
  std::optional<Error> error_;
};

std::vector<Segment> ParallelDigest::plan_window() {
  std::vector<Segment> window;
  uint64_t data_pieces = 0;
  while (next_piece_ < piece_count_ && data_pieces < kWindowPieces) {
    uint64_t pos = next_piece_ * piece_bytes_;
    ByteRange data = extents_.next_data(pos);
    // A hole to the end of file covers the last, partial piece too.
    uint64_t hole_pieces = data.begin >= size_ ? piece_count_ - next_piece_ : (data.begin - pos) / piece_bytes_;
    Segment seg{next_piece_, hole_pieces, true};
    if (hole_pieces == 0) {
      uint64_t end_piece = (data.end + piece_bytes_ - 1) / piece_bytes_;  // the piece of the last data byte, included
      seg = {next_piece_, std::min(end_piece - next_piece_, kWindowPieces - data_pieces), false};
      data_pieces += seg.pieces;
    }
    next_piece_ += seg.pieces;
    if (!window.empty() && window.back().hole == seg.hole)
      window.back().pieces += seg.pieces;
    else
      window.push_back(seg);
  }
  return window;
}

Result<std::vector<Digest>> ParallelDigest::hash_window(const std::vector<Segment>& window) {
  const uint64_t unit_pieces = std::max<uint64_t>(1, kUnitBytes / piece_bytes_);
  std::vector<Unit> units;
  size_t result_count = 0;
  for (const Segment& seg : window) {
    if (seg.hole) continue;
    for (uint64_t done = 0; done < seg.pieces; done += unit_pieces) {
      Unit u{seg.first_piece + done, std::min(unit_pieces, seg.pieces - done), result_count};
      units.push_back(u);
      result_count += u.pieces;
    }
  }
  std::vector<Digest> results(result_count);
  if (units.empty()) return results;
  // The caller works too; extra threads only as the budget (if any) has free CPUs.
  unsigned wanted = static_cast<unsigned>(std::min<size_t>(options_.threads, units.size())) - 1;
  BudgetLease lease(options_.budget, wanted);
  unsigned extra = options_.budget ? lease.held() : wanted;
  next_unit_ = 0;
  {
    std::vector<std::jthread> helpers;
    for (unsigned i = 0; i < extra; ++i) helpers.emplace_back([&] { work(units, results); });
    work(units, results);
  }
  if (error_) return *error_;
  return results;
}

// One thread's share: units off the shared counter until none is left or any failed.
void ParallelDigest::work(const std::vector<Unit>& units, std::vector<Digest>& results) {
  RangeHasher ranges(fd_, size_, alg_, options_.progress);
  for (size_t i; (i = next_unit_.fetch_add(1)) < units.size();) {
    const Unit& u = units[i];
    for (uint64_t p = 0; p < u.pieces; ++p) {
      auto r = ranges.hash(bytes_of(u.first_piece + p, 1));
      if (!r) {
        std::lock_guard lock(error_mutex_);
        if (!error_) error_ = r.take_error();
        next_unit_ = units.size();  // the others stop after their current unit
        return;
      }
      results[u.result_index + p] = ranges.hasher().finish_subtree(kPieceLevel);
    }
  }
}

void ParallelDigest::append_window(const std::vector<Segment>& window, const std::vector<Digest>& results) {
  size_t next_result = 0;
  for (const Segment& seg : window) {
    ByteRange bytes = bytes_of(seg.first_piece, seg.pieces);
    if (seg.hole) {
      combiner_.update_zeros(bytes.end - bytes.begin);  // whole subtrees: O(log) work
      if (options_.progress) options_.progress->fetch_add(bytes.end - bytes.begin, std::memory_order_relaxed);
      continue;
    }
    for (uint64_t p = 0; p < seg.pieces; ++p) {
      ByteRange piece = bytes_of(seg.first_piece + p, 1);
      combiner_.append_subtree(results[next_result++], kPieceLevel, piece.end - piece.begin);
    }
  }
}

}  // namespace

Result<Digest> digest_of_file(int fd, uint64_t size, HashAlg alg, const FileDigestOptions& options) {
  if (size >= kParallelMinSize && options.threads > 1) return ParallelDigest(fd, size, alg, options).run();
  RangeHasher ranges(fd, size, alg, options.progress);
  CFS_CHECK(ranges.hash({0, size}));
  return ranges.hasher().finish();
}

}  // namespace cfs::fsverity
