// lcfs_write_to(): C nodes -> tree -> our byte-exact EROFS writer, streamed to
// the caller's callback and, when asked, through an fs-verity hasher.
#include <cstring>

#include "convert.hpp"
#include "erofs/writer.hpp"
#include "fsverity/fsverity.hpp"

using cfs::capi::fail;
using cfs::capi::guarded;

namespace {

// Hands the image to the caller's write callback, in as many calls as it needs.
class CallbackSink : public cfs::erofs::Sink {
 public:
  CallbackSink(const lcfs_write_options_s& options, cfs::fsverity::Hasher* hasher)
      : file_(options.file), write_(options.file_write_cb), hasher_(hasher) {}

  cfs::Result<void> write(std::span<const uint8_t> bytes) override {
    if (hasher_) hasher_->update(bytes);
    if (!write_) return {};
    while (!bytes.empty()) {
      // Like C: a callback that fails without setting errno reports EIO.
      errno = EIO;
      ssize_t n = write_(file_, const_cast<uint8_t*>(bytes.data()), bytes.size());
      if (n <= 0) return cfs::make_error(errno, "write callback failed");
      bytes = bytes.subspan(std::min(static_cast<size_t>(n), bytes.size()));
    }
    return {};
  }

 private:
  void* file_;
  lcfs_write_cb write_;
  cfs::fsverity::Hasher* hasher_;
};

bool has_whiteout(const lcfs_node_s* node) {
  if (cfs::tree::is_whiteout(node->mode, node->rdev)) return true;
  for (const lcfs_node_s* child : node->children)
    if (!child->link_to && has_whiteout(child)) return true;
  return false;
}

int write_image(lcfs_node_s* root, lcfs_write_options_s* options) {
  // As C: the version is raised (and reported back) before anything is
  // checked, so even a failed write tells which version the tree needs.
  if (options->version < 1 && options->max_version >= 1 && has_whiteout(root)) options->version = 1;
  auto tree = cfs::capi::to_tree(root);
  if (!tree) return fail(tree.error().errnum);
  std::optional<cfs::fsverity::Hasher> hasher;
  if (options->digest_out) hasher.emplace();
  CallbackSink sink(*options, hasher ? &*hasher : nullptr);
  auto written = cfs::erofs::write_image(*tree, {options->version, options->max_version}, sink);
  if (!written) return fail(written.error().errnum);
  options->version = written->version;  // reported back, as C does
  if (hasher) {
    cfs::fsverity::Digest digest = hasher->finish();
    std::memcpy(options->digest_out, digest.data(), digest.size());
  }
  return 0;
}

}  // namespace

extern "C" int lcfs_write_to(lcfs_node_s* root, lcfs_write_options_s* options) {
  if (!root || !options) return fail(EINVAL);
  if (options->format != LCFS_FORMAT_EROFS) return fail(EINVAL);
  if ((options->flags & ~static_cast<uint32_t>(LCFS_FLAGS_MASK)) != 0) return fail(EINVAL);
  if (options->version > LCFS_VERSION_MAX || options->max_version > LCFS_VERSION_MAX) return fail(EINVAL);
  if (options->max_version < options->version) options->max_version = options->version;
  return guarded<int>(-1, [&] { return write_image(root, options); });
}
