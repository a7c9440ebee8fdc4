// tree -> composefs EROFS image, byte-identical to composefs-c 1.0.8's
// lcfs_write_to() for the same tree and version options.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "tree/tree.hpp"
#include "util/result.hpp"

namespace cfs::erofs {

struct WriteOptions {
  /// Format version to start from; raised towards max_version when the tree needs it
  /// (a whiteout needs version 1).
  uint32_t min_version = 0;
  uint32_t max_version = 1;
};

/// Where the image bytes go, in order, in pieces of any size.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual Result<void> write(std::span<const uint8_t> bytes) = 0;
};

/// Collects the image in memory.
class VectorSink : public Sink {
 public:
  Result<void> write(std::span<const uint8_t> bytes) override {
    data.insert(data.end(), bytes.begin(), bytes.end());
    return {};
  }
  std::vector<uint8_t> data;
};

/// What was written.
struct WriteResult {
  uint32_t version = 0;  // format version actually used
  uint64_t size = 0;     // image size in bytes
};

/// Writes the image of `tree`. The tree is not modified. Fails with EINVAL for
/// versions above 1, EFBIG for files needing more than 1024 chunks, ERANGE when the
/// overlay xattrs overflow an inode's xattr budget, ELOOP for hardlink cycles.
Result<WriteResult> write_image(const tree::Tree& tree, const WriteOptions& options, Sink& sink);

/// The same, consuming the tree: its nodes are freed as soon as the image is
/// planned (the plan points only at the tree's strings), which takes a third off
/// the peak memory of a large image. The tree is left without nodes.
Result<WriteResult> write_image(tree::Tree&& tree, const WriteOptions& options, Sink& sink);

}  // namespace cfs::erofs
