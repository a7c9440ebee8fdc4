#include "oci/content.hpp"

#include <unistd.h>

#include <algorithm>

#include "format/composefs.hpp"
#include "util/io.hpp"

namespace cfs::oci {
namespace {

namespace fmt = cfs::format;

// Files up to this size are collected in memory and written to the store only
// when the object is missing; bigger ones go straight into a new object file.
constexpr uint64_t kBufferedMax = uint64_t{1} << 20;

Result<void> pwrite_all(int fd, std::span<const uint8_t> bytes, uint64_t offset, const std::string& shown) {
  while (!bytes.empty()) {
    ssize_t n = ::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error(errno, "storing " + shown);
    bytes = bytes.subspan(static_cast<size_t>(n));
    offset += static_cast<uint64_t>(n);
  }
  return {};
}

}  // namespace

Result<void> ContentWriter::read_file(LayerReader& layer, tree::Node& node, const std::string& shown) {
  const uint64_t size = node.size;
  const bool buffered = size <= kBufferedMax;
  store::NewObject object;
  if (store_ && !buffered) object = CFS_TRY(store_->create_object());
  buffer_.clear();
  uint64_t pos = 0;
  while (auto block = CFS_TRY(layer.data_block())) {
    if (block->offset < pos || block->offset + block->bytes.size() > size)
      return make_error(EINVAL, shown + ": data outside the file's size");
    if (block->offset > pos) {  // a hole of a sparse file
      hasher_.update_zeros(block->offset - pos);
      if (buffered) buffer_.resize(static_cast<size_t>(block->offset));
      pos = block->offset;
    }
    hasher_.update(block->bytes);
    if (buffered)
      buffer_.insert(buffer_.end(), block->bytes.begin(), block->bytes.end());
    else if (object.fd() >= 0)
      CFS_CHECK(pwrite_all(object.fd(), block->bytes, pos, shown));
    pos += block->bytes.size();
  }
  if (pos < size) {  // a hole at the end
    hasher_.update_zeros(size - pos);
    if (buffered) buffer_.resize(static_cast<size_t>(size));
  }
  if (size == 0) return {};  // as the scan: no digest, payload or content
  const fsverity::Digest digest = hasher_.finish();
  node.digest = tree_.keep(digest);
  node.payload = tree_.keep(store::object_path(digest));
  if (size <= fmt::LCFS_RECOMMENDED_INLINE_CONTENT_MAX)
    node.content = tree_.keep(std::string_view(reinterpret_cast<const char*>(buffer_.data()), buffer_.size()));
  if (!store_ || size <= fmt::LCFS_RECOMMENDED_INLINE_CONTENT_MAX) return {};
  if (buffered) return store_buffer(digest, shown);
  if (::ftruncate(object.fd(), static_cast<off_t>(size)) < 0) return errno_error(errno, "storing " + shown);
  return store_->add_new(std::move(object), digest, shown);
}

Result<void> ContentWriter::store_buffer(const fsverity::Digest& digest, const std::string& shown) {
  if (store_->contains(digest)) return {};
  store::NewObject object = CFS_TRY(store_->create_object());
  CFS_CHECK(pwrite_all(object.fd(), buffer_, 0, shown));
  return store_->add_new(std::move(object), digest, shown);
}

}  // namespace cfs::oci
