// libarchive glue: readers over a ByteSource, so archives nest (a layer blob
// inside an oci-archive tarball, a tar stream inside its decompressor). libarchive
// stays inside lib/oci.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "oci/source.hpp"
#include "util/result.hpp"

struct archive;

namespace cfs::oci {

/// What an ArchiveReader parses.
enum class ArchiveKind {
  decompress,  // one stream: gzip, zstd, xz, bzip2 or uncompressed, detected from the bytes
  tar,         // a tar archive (pax, GNU, ustar; sparse entries), uncompressed
  any_tar,     // a tar archive that may be compressed (an oci-archive tarball)
};

/// A libarchive read handle over a ByteSource (which must outlive it).
class ArchiveReader {
 public:
  static Result<std::unique_ptr<ArchiveReader>> open(ByteSource& src, ArchiveKind kind, std::string what);
  ~ArchiveReader();
  ArchiveReader(const ArchiveReader&) = delete;
  ArchiveReader& operator=(const ArchiveReader&) = delete;

  struct archive* get() const { return a_; }
  /// The error of the last failed call: the source's own if it failed, else libarchive's.
  Error error(const std::string& context) const;

 private:
  ArchiveReader(ByteSource& src, std::string what);
  static ssize_t read_callback(struct archive* a, void* self, const void** buffer);  // la_ssize_t: ssize_t

  struct archive* a_ = nullptr;
  ByteSource& src_;
  std::string what_;
  std::vector<uint8_t> buffer_;
  std::optional<Error> source_error_;
};

/// The data of the current entry of an ArchiveReader, as a ByteSource.
class EntrySource : public ByteSource {
 public:
  explicit EntrySource(ArchiveReader& reader) : reader_(reader) {}
  Result<size_t> read(std::span<uint8_t> out) override;

 private:
  ArchiveReader& reader_;
};

}  // namespace cfs::oci
