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
// SHA-256 output size; also the size of every hash stored in a tree block.
constexpr size_t kHashSize = 32;
static_assert(kHashSize == std::tuple_size_v<Digest>);
static_assert(kBlockSize % kHashSize == 0, "tree blocks hold whole hashes");
// fs-verity hash algorithm number for SHA-256 (descriptor and ioctls).
constexpr uint8_t kHashAlgSha256 = FS_VERITY_HASH_ALG_SHA256;
static_assert(kHashAlgSha256 == 1);
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
// Largest digest any fs-verity algorithm produces (SHA-512), for measure_fd.
constexpr uint16_t kMaxDigestSize = 64;
// Read buffer size for digest_of_fd.
constexpr size_t kReadBufferSize = size_t{1} << 20;

using Block = std::array<uint8_t, kBlockSize>;

// OpenSSL only fails here on allocation failure or a broken installation.
void check_ossl(int ok) {
  if (ok != 1) std::abort();
}

#if CFS_FSVERITY_LOW_LEVEL_SHA

// SHA-256 of whole buffers; the state is a plain struct, nothing to free.
class Sha256 {
 public:
  void hash(const uint8_t* in, size_t len, uint8_t* out) {
    check_ossl(SHA256_Init(&ctx_));
    check_ossl(SHA256_Update(&ctx_, in, len));
    check_ossl(SHA256_Final(out, &ctx_));
  }

 private:
  SHA256_CTX ctx_{};
};

#else

struct MdFree {
  void operator()(EVP_MD* md) const { EVP_MD_free(md); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

// SHA-256 fetched once: an explicitly fetched EVP_MD avoids the implicit
// provider lookup EVP_sha256() costs on every EVP_DigestInit_ex2.
const EVP_MD* sha256_md() {
  static const std::unique_ptr<EVP_MD, MdFree> md(EVP_MD_fetch(nullptr, "SHA256", nullptr));
  if (!md) std::abort();
  return md.get();
}

// SHA-256 of whole buffers through one reused EVP context.
class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new()) {
    if (!ctx_) std::abort();
  }
  void hash(const uint8_t* in, size_t len, uint8_t* out) {
    check_ossl(EVP_DigestInit_ex2(ctx_.get(), sha256_md(), nullptr));
    check_ossl(EVP_DigestUpdate(ctx_.get(), in, len));
    check_ossl(EVP_DigestFinal_ex(ctx_.get(), out, nullptr));
  }

 private:
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

// The file digest: SHA-256 of the fs-verity descriptor holding the file size
// and the Merkle tree root (salt and reserved fields zero).
Digest descriptor_digest(Sha256& sha, uint64_t size, const uint8_t* root) {
  std::array<uint8_t, kDescriptorSize> desc{};
  desc[0] = kDescriptorVersion;
  desc[1] = kHashAlgSha256;
  desc[2] = kLogBlockSize;
  desc[3] = 0;  // salt_size: no salt
  put_le64(desc.data() + kDescDataSizeOff, size);
  std::memcpy(desc.data() + kDescRootHashOff, root, kHashSize);
  Digest out;
  sha.hash(desc.data(), desc.size(), out.data());
  return out;
}

}  // namespace

struct Hasher::Impl {
  Sha256 sha;
  bool pairs = detail::sha256_pair_available();  // two data blocks at a time
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
  uint8_t carried[kHashSize];
  for (;;) {
    if (lvl == tree.size()) tree.emplace_back();  // Level buffers are stable
    Level& up = tree[lvl];
    std::memcpy(up.buf->data() + up.fill, hash, kHashSize);
    up.fill += kHashSize;
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
  uint8_t hash[kHashSize];
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
  uint8_t first[kHashSize], second[kHashSize];
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
  Digest root{};
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
      std::memcpy(root.data(), cur.buf->data(), kHashSize);
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

Hasher::Hasher() : impl_(std::make_unique<Impl>()) {}
Hasher::~Hasher() = default;
Hasher::Hasher(Hasher&&) noexcept = default;
Hasher& Hasher::operator=(Hasher&&) noexcept = default;

void Hasher::update(std::span<const uint8_t> data) { impl_->update(data); }
Digest Hasher::finish() { return impl_->finish(); }
uint64_t Hasher::size() const { return impl_->size; }

Digest digest_of(std::span<const uint8_t> data) {
  Hasher h;
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
  uint8_t root_a[kHashSize], root_b[kHashSize];
  detail::sha256_pair_4k(blocks[0], blocks[1], root_a, root_b);
  Sha256 sha;
  digest_a = descriptor_digest(sha, a.size(), root_a);
  digest_b = descriptor_digest(sha, b.size(), root_b);
}

cfs::Result<Digest> digest_of_fd(int fd) {
  std::vector<uint8_t> buf(kReadBufferSize);
  Hasher h;
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
  if (arg.digest_algorithm != kHashAlgSha256 || arg.digest_size != kHashSize)
    return cfs::make_error(EINVAL, "fs-verity digest uses hash algorithm " +
                                       std::to_string(arg.digest_algorithm) + ", not SHA-256");
  Digest out;
  std::memcpy(out.data(), arg.digest, out.size());
  return out;
}

cfs::Result<void> enable_fd(int fd) {
  fsverity_enable_arg arg{};
  arg.version = 1;  // the only fsverity_enable_arg version
  arg.hash_algorithm = kHashAlgSha256;
  arg.block_size = kBlockSize;
  arg.salt_size = 0;  // no salt
  if (ioctl_retry(fd, FS_IOC_ENABLE_VERITY, &arg) < 0)
    return cfs::errno_error(errno, "FS_IOC_ENABLE_VERITY");
  return {};
}

cfs::Result<Digest> file_digest(int fd) {
  auto measured = measure_fd(fd);
  if (measured) return measured;
  int e = measured.error().errnum;
  // Not enabled, or not supported here: compute it.
  if (e != ENODATA && e != EOPNOTSUPP && e != ENOTTY) return measured.take_error();
  if (::lseek(fd, 0, SEEK_SET) < 0) return cfs::errno_error(errno, "lseek");
  return digest_of_fd(fd);
}

}  // namespace cfs::fsverity
