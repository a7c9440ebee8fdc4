#include "fsverity/fsverity.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <linux/fsverity.h>
#include <sys/ioctl.h>
#include <unistd.h>

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

#include "fsverity/sha256_pair.hpp"
#include "util/io.hpp"

namespace cfs::fsverity {

namespace {

// Merkle tree data and tree block size: 4096 bytes (descriptor log_blocksize 12).
constexpr unsigned kLogBlockSize = 12;
constexpr size_t kBlockSize = size_t{1} << kLogBlockSize;
// Hash output sizes are also the sizes of the hashes stored in tree blocks.
static_assert(kBlockSize % format::kMaxDigestSize == 0, "tree blocks hold whole hashes");
// Our algorithm numbers are the kernel's.
static_assert(static_cast<int>(HashAlg::sha256) == FS_VERITY_HASH_ALG_SHA256);
static_assert(static_cast<int>(HashAlg::sha512) == FS_VERITY_HASH_ALG_SHA512);
// fs-verity descriptor format version.
constexpr uint8_t kDescriptorVersion = 1;
// Descriptor layout (struct fsverity_descriptor): 4 one-byte fields, 4 reserved
// bytes, le64 data_size, 64-byte root_hash, 32-byte salt, 144 reserved bytes.
constexpr size_t kDescriptorSize = 256;
constexpr size_t kDescDataSizeOff = 8;
constexpr size_t kDescRootHashOff = 16;
static_assert(sizeof(fsverity_descriptor) == kDescriptorSize);
static_assert(offsetof(fsverity_descriptor, data_size) == kDescDataSizeOff);
static_assert(offsetof(fsverity_descriptor, root_hash) == kDescRootHashOff);
using format::kMaxDigestSize;  // SHA-512's: room for either algorithm's hash
// Read buffer size for digest_of_fd.
constexpr size_t kReadBufferSize = size_t{1} << 20;

using Block = std::array<uint8_t, kBlockSize>;

// OpenSSL only fails here on allocation failure or a broken installation.
void check_ossl(int ok) {
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
const EVP_MD* md_of(HashAlg alg) {
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

// One tree level's pending block. For tree level 1 and up, `count` is how many
// hashes the level has received (= blocks in the level below).
struct Level {
  std::unique_ptr<Block> buf = std::make_unique<Block>();
  size_t fill = 0;
  uint64_t count = 0;

  // Zeroes the unused tail, as fs-verity pads the last block of every level.
  void pad() { std::memset(buf->data() + fill, 0, kBlockSize - fill); }
};

void put_le64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

// The file digest: the hash of the fs-verity descriptor holding the algorithm,
// the file size and the Merkle tree root (salt and reserved fields zero).
Digest descriptor_digest(Sha& sha, uint64_t size, const uint8_t* root) {
  std::array<uint8_t, kDescriptorSize> desc{};
  desc[0] = kDescriptorVersion;
  desc[1] = static_cast<uint8_t>(sha.alg());
  desc[2] = kLogBlockSize;
  desc[3] = 0;  // salt_size: no salt
  put_le64(desc.data() + kDescDataSizeOff, size);
  std::memcpy(desc.data() + kDescRootHashOff, root, format::digest_size(sha.alg()));
  Digest out(sha.alg());
  sha.hash(desc.data(), desc.size(), out.data());
  return out;
}

}  // namespace

struct Hasher::Impl {
  explicit Impl(HashAlg alg)
      : sha(alg), hash_size(format::digest_size(alg)),
        pairs(alg == HashAlg::sha256 && detail::sha256_pair_available()) {}

  Sha sha;
  size_t hash_size;  // of every hash in the tree
  bool pairs;        // two data blocks at a time (SHA-256 on the x86 SHA extensions)
  // Data not hashed yet: less than two blocks, so that blocks go in pairs and
  // only a file's very last block may be hashed alone.
  std::unique_ptr<std::array<uint8_t, 2 * kBlockSize>> pending = std::make_unique<std::array<uint8_t, 2 * kBlockSize>>();
  size_t pending_fill = 0;
  std::vector<Level> tree;  // tree[i]: hashes of level i blocks (tree level i+1)
  uint64_t size = 0;

  void emit(const uint8_t* block, size_t lvl);
  void emit_data_pair(const uint8_t* two_blocks);
  void push_hash(const uint8_t* hash, size_t lvl);
  void update(std::span<const uint8_t> in);
  Digest root_hash();
  Digest finish();
  void reset();
};

// Appends a hash to the pending block of tree level `lvl` + 1, carrying upwards
// (hashing the full block into the level above) whenever that block fills.
void Hasher::Impl::push_hash(const uint8_t* hash, size_t lvl) {
  uint8_t carried[kMaxDigestSize];
  for (;;) {
    if (lvl == tree.size()) tree.emplace_back();  // Level buffers are stable
    Level& up = tree[lvl];
    std::memcpy(up.buf->data() + up.fill, hash, hash_size);
    up.fill += hash_size;
    ++up.count;
    if (up.fill < kBlockSize) return;
    up.fill = 0;
    sha.hash(up.buf->data(), kBlockSize, carried);
    hash = carried;
    ++lvl;
  }
}

// Hashes one full block of level `lvl` (0 = data) into the level above.
void Hasher::Impl::emit(const uint8_t* block, size_t lvl) {
  uint8_t hash[kMaxDigestSize];
  sha.hash(block, kBlockSize, hash);
  push_hash(hash, lvl);
}

// Two consecutive data blocks, hashed together when the CPU allows.
void Hasher::Impl::emit_data_pair(const uint8_t* two_blocks) {
  if (!pairs) {
    emit(two_blocks, 0);
    emit(two_blocks + kBlockSize, 0);
    return;
  }
  uint8_t first[kMaxDigestSize], second[kMaxDigestSize];
  detail::sha256_pair_4k(two_blocks, two_blocks + kBlockSize, first, second);
  push_hash(first, 0);
  push_hash(second, 0);
}

void Hasher::Impl::update(std::span<const uint8_t> in) {
  constexpr size_t kPair = 2 * kBlockSize;
  size += in.size();
  if (pending_fill > 0) {
    size_t take = std::min(kPair - pending_fill, in.size());
    std::memcpy(pending->data() + pending_fill, in.data(), take);
    pending_fill += take;
    in = in.subspan(take);
    if (pending_fill < kPair) return;
    emit_data_pair(pending->data());
    pending_fill = 0;
  }
  // Keep back whatever does not make a full pair: the next call may complete
  // it, or finish() hashes it (padded) as the file's last block or two.
  for (; in.size() >= kPair; in = in.subspan(kPair)) emit_data_pair(in.data());
  std::memcpy(pending->data(), in.data(), in.size());
  pending_fill = in.size();
}

// Flushes partial blocks bottom-up until a level holds a single hash: the hash
// of the only block of the level below, i.e. the root. Empty data: all zeros.
Digest Hasher::Impl::root_hash() {
  Digest root(sha.alg());
  if (size == 0) return root;
  if (pending_fill > 0) {  // the last one or two blocks, the last one zero-padded
    std::memset(pending->data() + pending_fill, 0, 2 * kBlockSize - pending_fill);
    if (pending_fill > kBlockSize)
      emit_data_pair(pending->data());
    else
      emit(pending->data(), 0);
  }
  for (size_t lvl = 0;; ++lvl) {
    Level& cur = tree[lvl];
    if (cur.count == 1) {
      std::memcpy(root.data(), cur.buf->data(), hash_size);
      return root;
    }
    if (cur.fill > 0) {
      cur.pad();
      emit(cur.buf->data(), lvl + 1);
    }
  }
}

Digest Hasher::Impl::finish() {
  Digest root = root_hash();
  Digest out = descriptor_digest(sha, size, root.data());
  reset();
  return out;
}

void Hasher::Impl::reset() {
  pending_fill = 0;
  for (Level& l : tree) {
    l.fill = 0;
    l.count = 0;
  }
  size = 0;
}

Hasher::Hasher(HashAlg alg) : impl_(std::make_unique<Impl>(alg)) {}
Hasher::~Hasher() = default;
Hasher::Hasher(Hasher&&) noexcept = default;
Hasher& Hasher::operator=(Hasher&&) noexcept = default;

void Hasher::update(std::span<const uint8_t> data) { impl_->update(data); }
Digest Hasher::finish() { return impl_->finish(); }
uint64_t Hasher::size() const { return impl_->size; }
HashAlg Hasher::alg() const { return impl_->sha.alg(); }

Digest digest_of(std::span<const uint8_t> data, HashAlg alg) {
  Hasher h(alg);
  h.update(data);
  return h.finish();
}


void digest_pair_small(std::span<const uint8_t> a, std::span<const uint8_t> b, Digest& digest_a, Digest& digest_b) {
  if (a.empty() || b.empty() || a.size() > kBlockSize || b.size() > kBlockSize || !detail::sha256_pair_available()) {
    digest_a = digest_of(a);
    digest_b = digest_of(b);
    return;
  }
  alignas(64) uint8_t blocks[2][kBlockSize];
  std::memcpy(blocks[0], a.data(), a.size());
  std::memset(blocks[0] + a.size(), 0, kBlockSize - a.size());
  std::memcpy(blocks[1], b.data(), b.size());
  std::memset(blocks[1] + b.size(), 0, kBlockSize - b.size());
  uint8_t root_a[kMaxDigestSize], root_b[kMaxDigestSize];
  detail::sha256_pair_4k(blocks[0], blocks[1], root_a, root_b);
  Sha sha(HashAlg::sha256);
  digest_a = descriptor_digest(sha, a.size(), root_a);
  digest_b = descriptor_digest(sha, b.size(), root_b);
}

cfs::Result<Digest> digest_of_fd(int fd, HashAlg alg) {
  std::vector<uint8_t> buf(kReadBufferSize);
  Hasher h(alg);
  return digest_of_fd(fd, h, buf);
}

cfs::Result<Digest> digest_of_fd(int fd, Hasher& h, std::span<uint8_t> buf) {
  for (;;) {
    size_t n = CFS_TRY(cfs::read_full(fd, buf));
    h.update(std::span<const uint8_t>(buf.data(), n));
    if (n < buf.size()) return h.finish();  // read_full stops short only at EOF
  }
}

namespace {

// struct fsverity_digest with room for the largest digest (its digest[] is a
// flexible array member, which C++ cannot declare storage for).
struct MeasureArg {
  uint16_t digest_algorithm;
  uint16_t digest_size;
  uint8_t digest[kMaxDigestSize];
};
static_assert(offsetof(MeasureArg, digest) == sizeof(fsverity_digest));

int ioctl_retry(int fd, unsigned long req, void* arg) {
  int r;
  do r = ::ioctl(fd, req, arg);
  while (r < 0 && errno == EINTR);
  return r;
}

}  // namespace

cfs::Result<Digest> measure_fd(int fd) {
  MeasureArg arg{};
  arg.digest_size = kMaxDigestSize;
  if (ioctl_retry(fd, FS_IOC_MEASURE_VERITY, &arg) < 0)
    return cfs::errno_error(errno, "FS_IOC_MEASURE_VERITY");
  auto alg = format::hash_of_size(arg.digest_size);
  if (!alg || arg.digest_algorithm != static_cast<uint16_t>(*alg))
    return cfs::make_error(EINVAL, "fs-verity digest uses hash algorithm " +
                                       std::to_string(arg.digest_algorithm) + ", neither SHA-256 nor SHA-512");
  return Digest::from_bytes({arg.digest, arg.digest_size});
}

cfs::Result<void> enable_fd(int fd, HashAlg alg) {
  fsverity_enable_arg arg{};
  arg.version = 1;  // the only fsverity_enable_arg version
  arg.hash_algorithm = static_cast<uint32_t>(alg);
  arg.block_size = kBlockSize;
  arg.salt_size = 0;  // no salt
  if (ioctl_retry(fd, FS_IOC_ENABLE_VERITY, &arg) < 0)
    return cfs::errno_error(errno, "FS_IOC_ENABLE_VERITY");
  return {};
}

cfs::Result<Digest> file_digest(int fd, HashAlg alg) {
  auto measured = measure_fd(fd);
  if (measured && measured->alg() == alg) return measured;
  int e = measured ? 0 : measured.error().errnum;
  // Not enabled, not supported here, or enabled with the other algorithm: compute it.
  if (e != 0 && e != ENODATA && e != EOPNOTSUPP && e != ENOTTY) return measured.take_error();
  if (::lseek(fd, 0, SEEK_SET) < 0) return cfs::errno_error(errno, "lseek");
  return digest_of_fd(fd, alg);
}

}  // namespace cfs::fsverity
