// Private to lib/fsverity: the block size, whole-buffer SHA-256/SHA-512, and the
// descriptor hash that turns a Merkle tree root into the file digest.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

#include <linux/fsverity.h>

// OpenSSL 3's EVP_DigestInit_ex2 frees and re-allocates the provider context on
// every re-initialisation (measured on 3.0.19: one malloc per 4 KiB block), so
// when the low-level SHA256_* functions exist (deprecated, not removed) we use
// them: no allocation and ~2% faster. Builds without them fall back to EVP.
#if !defined(CFS_FSVERITY_FORCE_EVP)
#define OPENSSL_SUPPRESS_DEPRECATED
#endif
#include <openssl/evp.h>
#include <openssl/sha.h>
#if !defined(CFS_FSVERITY_FORCE_EVP) && !defined(OPENSSL_NO_DEPRECATED_3_0)
#define CFS_FSVERITY_LOW_LEVEL_SHA 1
#else
#define CFS_FSVERITY_LOW_LEVEL_SHA 0
#endif

#include "format/digest.hpp"

namespace cfs::fsverity::detail {

using format::Digest;
using format::HashAlg;
using format::kMaxDigestSize;  // SHA-512's: room for either algorithm's hash

// Merkle tree data and tree block size: 4096 bytes (descriptor log_blocksize 12).
inline constexpr unsigned kLogBlockSize = 12;
inline constexpr size_t kBlockSize = size_t{1} << kLogBlockSize;
// Hash output sizes are also the sizes of the hashes stored in tree blocks.
static_assert(kBlockSize % kMaxDigestSize == 0, "tree blocks hold whole hashes");
// Our algorithm numbers are the kernel's.
static_assert(static_cast<int>(HashAlg::sha256) == FS_VERITY_HASH_ALG_SHA256);
static_assert(static_cast<int>(HashAlg::sha512) == FS_VERITY_HASH_ALG_SHA512);

using Block = std::array<uint8_t, kBlockSize>;

// OpenSSL only fails here on allocation failure or a broken installation.
inline void check_ossl(int ok) {
  if (ok != 1) std::abort();
}

#if CFS_FSVERITY_LOW_LEVEL_SHA

// SHA-256 or SHA-512 of whole buffers; the state is a plain struct, nothing to free.
class Sha {
 public:
  explicit Sha(HashAlg alg) : alg_(alg) {}
  HashAlg alg() const { return alg_; }
  void hash(const uint8_t* in, size_t len, uint8_t* out) {
    if (alg_ == HashAlg::sha512) {
      check_ossl(SHA512_Init(&ctx512_));
      check_ossl(SHA512_Update(&ctx512_, in, len));
      check_ossl(SHA512_Final(out, &ctx512_));
      return;
    }
    check_ossl(SHA256_Init(&ctx256_));
    check_ossl(SHA256_Update(&ctx256_, in, len));
    check_ossl(SHA256_Final(out, &ctx256_));
  }

 private:
  HashAlg alg_;
  SHA256_CTX ctx256_{};
  SHA512_CTX ctx512_{};
};

#else

struct MdFree {
  void operator()(EVP_MD* md) const { EVP_MD_free(md); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

// Each digest fetched once: an explicitly fetched EVP_MD avoids the implicit
// provider lookup EVP_sha256() costs on every EVP_DigestInit_ex2.
inline const EVP_MD* md_of(HashAlg alg) {
  static const std::unique_ptr<EVP_MD, MdFree> sha256(EVP_MD_fetch(nullptr, "SHA256", nullptr));
  static const std::unique_ptr<EVP_MD, MdFree> sha512(EVP_MD_fetch(nullptr, "SHA512", nullptr));
  const EVP_MD* md = alg == HashAlg::sha512 ? sha512.get() : sha256.get();
  if (!md) std::abort();
  return md;
}

// SHA-256 or SHA-512 of whole buffers through one reused EVP context.
class Sha {
 public:
  explicit Sha(HashAlg alg) : alg_(alg), ctx_(EVP_MD_CTX_new()) {
    if (!ctx_) std::abort();
  }
  HashAlg alg() const { return alg_; }
  void hash(const uint8_t* in, size_t len, uint8_t* out) {
    check_ossl(EVP_DigestInit_ex2(ctx_.get(), md_of(alg_), nullptr));
    check_ossl(EVP_DigestUpdate(ctx_.get(), in, len));
    check_ossl(EVP_DigestFinal_ex(ctx_.get(), out, nullptr));
  }

 private:
  HashAlg alg_;
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx_;
};

#endif

/// The file digest: the hash of the fs-verity descriptor holding the algorithm,
/// the file size and the Merkle tree root (salt and reserved fields zero).
Digest descriptor_digest(Sha& sha, uint64_t size, const uint8_t* root);

}  // namespace cfs::fsverity::detail
