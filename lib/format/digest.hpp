// fs-verity file digests of the two algorithms composefs images can name: SHA-256
// (composefs-c's only one, and the default everywhere) and SHA-512 (the default of
// bootc's and composefs-rs's repositories). The algorithm numbers are the kernel's
// (FS_VERITY_HASH_ALG_*): they appear in the fs-verity descriptor, in the
// measure/enable ioctls and in overlayfs's ovl_metacopy.digest_algo.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "util/hex.hpp"

namespace cfs::format {

enum class HashAlg : uint8_t {
  sha256 = 1,  // FS_VERITY_HASH_ALG_SHA256
  sha512 = 2,  // FS_VERITY_HASH_ALG_SHA512
};

inline constexpr size_t kMaxDigestSize = 64;

constexpr size_t digest_size(HashAlg alg) { return alg == HashAlg::sha512 ? 64 : 32; }

/// "sha256" / "sha512", as --hash= and fsverity-utils spell them.
constexpr std::string_view hash_name(HashAlg alg) { return alg == HashAlg::sha512 ? "sha512" : "sha256"; }
std::optional<HashAlg> parse_hash_name(std::string_view name);
/// The algorithm whose digests have `size` bytes (32 or 64).
std::optional<HashAlg> hash_of_size(size_t size);

/// A digest of either algorithm. It reads like a byte array of digest_size(alg())
/// bytes (data, size, begin, end, []), so code written for SHA-256 arrays keeps
/// working; a default-constructed one is an all-zero SHA-256 digest.
class Digest {
 public:
  constexpr Digest() = default;
  constexpr explicit Digest(HashAlg alg) : alg_(alg) {}
  /// A digest of the algorithm whose size `bytes` has (32 or 64 bytes; else sha256
  /// with the bytes cut or zero-filled: callers check sizes first).
  static Digest from_bytes(std::span<const uint8_t> bytes) {
    Digest d(bytes.size() == kMaxDigestSize ? HashAlg::sha512 : HashAlg::sha256);
    std::copy_n(bytes.begin(), std::min(bytes.size(), d.size()), d.begin());
    return d;
  }

  constexpr HashAlg alg() const { return alg_; }
  constexpr size_t size() const { return digest_size(alg_); }
  uint8_t* data() { return bytes_.data(); }
  const uint8_t* data() const { return bytes_.data(); }
  uint8_t* begin() { return bytes_.data(); }
  uint8_t* end() { return bytes_.data() + size(); }
  const uint8_t* begin() const { return bytes_.data(); }
  const uint8_t* end() const { return bytes_.data() + size(); }
  uint8_t& operator[](size_t i) { return bytes_[i]; }
  uint8_t operator[](size_t i) const { return bytes_[i]; }
  std::span<const uint8_t> bytes() const { return {data(), size()}; }

  bool operator==(const Digest& o) const { return alg_ == o.alg_ && std::equal(begin(), end(), o.begin()); }

 private:
  std::array<uint8_t, kMaxDigestSize> bytes_{};
  HashAlg alg_ = HashAlg::sha256;
};

inline std::optional<HashAlg> parse_hash_name(std::string_view name) {
  if (name == "sha256") return HashAlg::sha256;
  if (name == "sha512") return HashAlg::sha512;
  return std::nullopt;
}

inline std::optional<HashAlg> hash_of_size(size_t size) {
  if (size == digest_size(HashAlg::sha256)) return HashAlg::sha256;
  if (size == digest_size(HashAlg::sha512)) return HashAlg::sha512;
  return std::nullopt;
}

/// 64 hex digits: a SHA-256 digest; 128: a SHA-512 one; anything else: none.
inline std::optional<Digest> parse_hex_digest(std::string_view hex) {
  auto alg = hex.size() % 2 == 0 ? hash_of_size(hex.size() / 2) : std::nullopt;
  if (!alg) return std::nullopt;
  Digest d(*alg);
  if (!from_hex(hex, {d.data(), d.size()})) return std::nullopt;
  return d;
}

}  // namespace cfs::format
