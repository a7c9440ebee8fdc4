// composefs EROFS image -> tree::Tree, as composefs-c 1.0.8's
// lcfs_load_node_from_image() builds it, hardened against hostile images.
//
// The image is untrusted: every offset and length is checked against the image
// size with overflow-safe arithmetic, structs are memcpy'd out of the buffer,
// directory recursion is bounded, an inode reached twice (a directory too, as in
// C) becomes a hardlink entry that is not descended into, so cycles cannot loop,
// and the memory the result may take is capped (ReadOptions::max_decoded_bytes).
// Errors carry errnum EINVAL for a corrupt image, ENOTSUP for an unknown header
// version, ELOOP for excessive depth, E2BIG when the decode budget runs out.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "tree/tree.hpp"
#include "util/result.hpp"
#include "util/unique_fd.hpp"

namespace cfs::erofs {

/// Largest image the tools open. C has no limit; we refuse anything above 1 GiB
/// (as composefs-rs does) so a bogus file cannot make us map or walk gigabytes. A
/// composefs image that large would describe tens of millions of files.
inline constexpr uint64_t kMaxImageSize = uint64_t{1} << 30;

/// Deepest directory nesting accepted: a path of 4096 bytes holds at most 2048
/// levels ("a/" each).
inline constexpr unsigned kMaxDirectoryDepth = 4096 / 2;

struct ReadOptions {
  /// Top-level names to load (C: lcfs_read_options_s.toplevel_entries); empty
  /// loads everything. Only the root directory's entries are looked at for the
  /// others, so filtering does not walk the rest of the image.
  std::vector<std::string> filter;
  /// Cap on what the tree may hold (names, xattrs, content, nodes), in bytes;
  /// 0 means the default, 256 MiB + 32 x the image size. Shared xattrs and
  /// hardlinks let a small hostile image name the same bytes many times.
  uint64_t max_decoded_bytes = 0;
};

/// Loads the tree of a composefs image. The result is what C's reader gives:
/// overlay xattrs undone (payload from trusted.overlay.redirect, digest from
/// trusted.overlay.metacopy, whiteouts back to 0:0 character devices, escaped
/// trusted.overlay.overlay.* names unescaped, writer markers dropped), the
/// automatic 00-ff root whiteouts dropped, and an inode reached again through
/// another name turned into a hardlink entry. Children are in name order; xattrs
/// are in C's order (inline ones, then shared ones).
Result<tree::Tree> read_image(std::span<const uint8_t> image, const ReadOptions& options = {});

/// The composefs format version recorded in the image header (after checking the
/// header magic and header version), as C's lcfs_version_from_fd reads it.
Result<uint32_t> read_image_version(std::span<const uint8_t> image);

/// A read-only private mapping of an image file (RAII munmap).
class MappedImage {
 public:
  /// Maps `path`; fails with EFBIG above kMaxImageSize. A concurrent truncation
  /// of the file can still raise SIGBUS, as with C's mmap-based reader.
  static Result<MappedImage> open(const std::string& path);
  /// Maps the whole file open at `fd` (which stays the caller's).
  static Result<MappedImage> map_fd(int fd);
  MappedImage(MappedImage&& o) noexcept;
  MappedImage& operator=(MappedImage&&) = delete;
  MappedImage(const MappedImage&) = delete;
  ~MappedImage();

  std::span<const uint8_t> bytes() const { return {static_cast<const uint8_t*>(addr_), size_}; }

 private:
  MappedImage(void* addr, size_t size) : addr_(addr), size_(size) {}
  void* addr_ = nullptr;
  size_t size_ = 0;
};

}  // namespace cfs::erofs
