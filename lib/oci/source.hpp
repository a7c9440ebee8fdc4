// Byte streams the importer reads blobs through: a file, an entry of an archive,
// and a wrapper that counts and SHA-256-hashes what passes (blob digests and
// diff_ids are checked against those hashes).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "util/result.hpp"
#include "util/unique_fd.hpp"

namespace cfs::oci {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  /// Up to out.size() bytes; 0 only at the end.
  virtual Result<size_t> read(std::span<uint8_t> out) = 0;
};

/// A file (or pipe) read from its current offset.
class FdSource : public ByteSource {
 public:
  FdSource(UniqueFd fd, std::string name) : fd_(std::move(fd)), name_(std::move(name)) {}
  Result<size_t> read(std::span<uint8_t> out) override;

 private:
  UniqueFd fd_;
  std::string name_;
};

/// Streaming SHA-256 (OpenSSL), printed as OCI digests are: "sha256:<hex>".
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(std::span<const uint8_t> bytes);
  std::string finish_digest();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

/// Passes `inner`'s bytes on while hashing and counting them; more than `limit`
/// bytes is an error (a blob longer than its descriptor says).
class HashingSource : public ByteSource {
 public:
  HashingSource(ByteSource& inner, uint64_t limit, std::string what) : inner_(inner), limit_(limit), what_(std::move(what)) {}
  Result<size_t> read(std::span<uint8_t> out) override;
  /// Reads to the end (bytes after what a consumer needed still count).
  Result<void> drain();
  uint64_t bytes() const { return bytes_; }
  std::string finish_digest() { return sha_.finish_digest(); }

 private:
  ByteSource& inner_;
  uint64_t limit_;
  std::string what_;
  uint64_t bytes_ = 0;
  Sha256 sha_;
};

/// Reads a whole source of at most `max` bytes.
Result<std::string> read_all(ByteSource& src, uint64_t max, const std::string& what);

}  // namespace cfs::oci
