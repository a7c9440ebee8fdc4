// Loading images into C nodes (over the hardened reader) and reading an
// image's format version.
#include <endian.h>
#include <unistd.h>

#include <cstring>

#include "convert.hpp"
#include "erofs/reader/reader.hpp"
#include "libcomposefs/lcfs-erofs.h"

using cfs::capi::fail;
using cfs::capi::guarded;

namespace {

lcfs_node_s* load(std::span<const uint8_t> image, const lcfs_read_options_s* opts) {
  cfs::erofs::ReadOptions read_options;
  if (opts && opts->toplevel_entries)
    for (const char* const* name = opts->toplevel_entries; *name; name++) read_options.filter.emplace_back(*name);
  auto tree = cfs::erofs::read_image(image, read_options);
  if (!tree) return errno = tree.error().errnum, nullptr;
  return cfs::capi::from_tree(*tree);
}

}  // namespace

extern "C" {

lcfs_node_s* lcfs_load_node_from_image_ext(const uint8_t* image_data, size_t image_data_size,
                                           const lcfs_read_options_s* opts) {
  if (!image_data) return errno = EINVAL, nullptr;
  return guarded<lcfs_node_s*>(nullptr, [&] { return load({image_data, image_data_size}, opts); });
}

lcfs_node_s* lcfs_load_node_from_image(const uint8_t* image_data, size_t image_data_size) {
  return lcfs_load_node_from_image_ext(image_data, image_data_size, nullptr);
}

lcfs_node_s* lcfs_load_node_from_fd_ext(int fd, const lcfs_read_options_s* opts) {
  return guarded<lcfs_node_s*>(nullptr, [&]() -> lcfs_node_s* {
    auto mapped = cfs::erofs::MappedImage::map_fd(fd);
    if (!mapped) return errno = mapped.error().errnum, nullptr;
    return load(mapped->bytes(), opts);
  });
}

lcfs_node_s* lcfs_load_node_from_fd(int fd) { return lcfs_load_node_from_fd_ext(fd, nullptr); }

// Reads only the 32-byte composefs header: EINVAL unless its magic and header
// version are composefs' (an unknown header version is EINVAL here, as in C,
// while the loader reports ENOTSUP).
int lcfs_version_from_fd(int fd) {
  lcfs_erofs_header_s header;
  ssize_t n = ::pread(fd, &header, sizeof header, 0);
  if (n < 0) return -1;
  if (static_cast<size_t>(n) < sizeof header) return fail(EINVAL);
  if (le32toh(header.magic) != LCFS_EROFS_MAGIC || le32toh(header.version) != LCFS_EROFS_VERSION)
    return fail(EINVAL);
  return static_cast<int>(le32toh(header.composefs_version));
}

}  // extern "C"
