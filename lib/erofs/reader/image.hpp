// Internal to the reader: a bounds-checked view over untrusted image bytes, and
// the decoded form of one inode. Every access to the image goes through Image;
// nothing here ever points a struct at the buffer (bytes are memcpy'd out).
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <sys/stat.h>

#include "format/composefs.hpp"
#include "format/erofs_fs.hpp"
#include "util/result.hpp"

namespace cfs::erofs::reader {

/// A corrupt-image error (EINVAL) with a message.
Error corrupt(const std::string& what);

/// The image after its header and superblock were checked.
class Image {
 public:
  /// Checks the composefs header (magic, header version) and the EROFS superblock
  /// (magic, 4096-byte blocks, metadata and xattr areas inside the image).
  static Result<Image> open(std::span<const uint8_t> bytes);

  uint64_t size() const { return bytes_.size(); }
  /// `len` bytes at `off`, or an error when any of them lies outside the image.
  Result<std::span<const uint8_t>> bytes(uint64_t off, uint64_t len) const;
  /// Up to `len` bytes at `off`, cut at the image end (never an error).
  std::span<const uint8_t> bytes_clamped(uint64_t off, uint64_t len) const;

  /// Copies a T out of the image at `off` (bounds-checked memcpy).
  template <class T>
  Result<T> read(uint64_t off) const {
    static_assert(format::is_ondisk_v<T>);
    auto b = bytes(off, sizeof(T));
    if (!b) return b.take_error();
    T v;
    std::memcpy(&v, b->data(), sizeof(T));
    return v;
  }

  uint32_t composefs_version() const { return composefs_version_; }
  uint32_t flags() const { return flags_; }  // LCFS_EROFS_FLAGS_*
  uint64_t root_nid() const { return root_nid_; }
  uint64_t meta_start() const { return meta_start_; }
  uint64_t xattr_start() const { return xattr_start_; }
  uint64_t build_time() const { return build_time_; }
  uint32_t build_time_nsec() const { return build_time_nsec_; }

 private:
  explicit Image(std::span<const uint8_t> bytes) : bytes_(bytes) {}
  std::span<const uint8_t> bytes_;
  uint32_t composefs_version_ = 0;
  uint32_t flags_ = 0;
  uint64_t root_nid_ = 0;
  uint64_t meta_start_ = 0;
  uint64_t xattr_start_ = 0;
  uint64_t build_time_ = 0;
  uint32_t build_time_nsec_ = 0;
};

/// One inode as stored (before any overlay xattr is undone).
struct Inode {
  uint64_t nid = 0;
  uint64_t pos = 0;           // byte offset of the inode
  uint16_t layout = 0;        // EROFS_INODE_FLAT_PLAIN / FLAT_INLINE / CHUNK_BASED
  uint32_t mode = 0;          // i_mode (16 bits)
  uint32_t nlink = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint32_t i_u = 0;           // raw_blkaddr / rdev / chunk format
  uint64_t size = 0;
  int64_t mtime_sec = 0;
  uint32_t mtime_nsec = 0;
  uint64_t xattr_pos = 0;     // start of the xattr area
  uint64_t xattr_size = 0;    // bytes, from i_xattr_icount
  uint64_t tail_pos = 0;      // inline data start: after the inode and its xattrs

  uint32_t type() const { return mode & S_IFMT; }
  bool tailpacked() const { return layout == format::EROFS_INODE_FLAT_INLINE; }
  bool flat() const { return layout != format::EROFS_INODE_CHUNK_BASED; }
};

/// Decodes and checks the inode `nid`: it and its xattr area lie inside the image,
/// its data layout is one composefs writes, its mode has a known file type.
Result<Inode> read_inode(const Image& img, uint64_t nid);

/// The `len` inline-tail bytes of `ino`; they must not cross a block boundary.
Result<std::span<const uint8_t>> inline_tail(const Image& img, const Inode& ino, uint64_t len);

/// `count` whole blocks starting at block `blkaddr`.
Result<std::span<const uint8_t>> blocks(const Image& img, uint64_t blkaddr, uint64_t count);

/// Checks that a chunk-based file's chunk index table lies inside the image.
Result<void> check_chunk_table(const Image& img, const Inode& ino);

/// The target of symlink `ino` as C reads it (up to the first NUL; never empty).
Result<std::string> symlink_target(const Image& img, const Inode& ino);

/// The data stored in the image for regular file `ino` (flat layouts; C caps it
/// at LCFS_INLINE_CONTENT_MAX bytes). Empty for a chunk-based file, whose data
/// lives in an object (the chunk table is checked).
Result<std::string> inline_content(const Image& img, const Inode& ino);

}  // namespace cfs::erofs::reader
