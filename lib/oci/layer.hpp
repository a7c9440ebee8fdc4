// One layer blob read as a stream of tar entries: decompressed on the fly
// (detected: gzip, zstd, xz, bzip2 or none) while the uncompressed bytes are
// hashed for the config's diff_id, and parsed by libarchive's tar reader.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "oci/archive.hpp"
#include "oci/source.hpp"
#include "util/result.hpp"

namespace cfs::oci {

/// A tar entry as the importer needs it.
struct TarEntry {
  std::string path;      // cleaned, relative, no "./", no trailing '/'; "" is the root
  std::string raw_path;  // as the archive has it, for messages
  uint32_t mode = 0;     // S_IFMT type | the 07777 permission bits
  uint32_t uid = 0;
  uint32_t gid = 0;
  int64_t mtime_sec = 0;
  uint32_t mtime_nsec = 0;
  uint64_t size = 0;     // regular files: content size (holes included)
  std::string symlink;   // symlink target, as stored
  std::optional<std::string> hardlink;  // cleaned path of the hard link's target
  uint32_t rdev_major = 0;
  uint32_t rdev_minor = 0;
  std::vector<std::pair<std::string, std::string>> xattrs;  // from pax SCHILY.xattr.*, in archive order
};

/// Cleans an archive path: strips "./" and "/" repeats and a trailing '/'.
/// An absolute path or a ".." component escapes the root: an error.
Result<std::string> clean_path(std::string_view raw);

class LayerReader {
 public:
  /// Reads the layer from `blob` (which must outlive the reader).
  static Result<std::unique_ptr<LayerReader>> open(ByteSource& blob, std::string what);

  /// The next entry; false at the end of the archive.
  Result<bool> next(TarEntry& out);

  /// One piece of the current entry's data: `offset` within the file (pieces
  /// come in order; gaps are holes of a sparse file).
  struct Block {
    uint64_t offset;
    std::span<const uint8_t> bytes;
  };
  /// The next piece of the current entry's data; nothing at its end.
  Result<std::optional<Block>> data_block();

  /// After the last entry: reads what is left of the uncompressed stream (tar
  /// padding) and returns its SHA-256 as "sha256:<hex>", the layer's diff_id.
  Result<std::string> finish();

 private:
  // The tar reader's input: the decompressor's output, hashed on the way.
  class Uncompressed : public ByteSource {
   public:
    explicit Uncompressed(ArchiveReader& raw) : raw_(raw) {}
    Result<size_t> read(std::span<uint8_t> out) override;
    Sha256 sha;
    bool ended = false;

   private:
    ArchiveReader& raw_;
  };
  LayerReader() = default;

  std::unique_ptr<ArchiveReader> raw_;
  std::unique_ptr<Uncompressed> uncompressed_;
  std::unique_ptr<ArchiveReader> tar_;
  std::string what_;
  uint64_t entry_size_ = 0;     // the current entry's size
  uint64_t delivered_end_ = 0;  // end of the current entry's data handed out so far
  bool unpadded_end_ = false;   // the stream ended right after the last entry's data
};

}  // namespace cfs::oci
