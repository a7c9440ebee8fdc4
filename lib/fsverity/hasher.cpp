// Hasher: the streaming fs-verity Merkle tree, one pending block per level.
#include <algorithm>
#include <vector>

#include "fsverity/fsverity.hpp"
#include "fsverity/sha.hpp"
#include "fsverity/sha256_pair.hpp"

namespace cfs::fsverity {

using detail::Block;
using detail::kBlockSize;
using detail::kLogBlockSize;
using detail::kMaxDigestSize;

namespace {

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

constexpr Block kZeroBlock{};

void put_le64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

// One tree level's pending block of hashes.
struct Level {
  std::unique_ptr<Block> buf = std::make_unique<Block>();
  size_t fill = 0;

  // Zeroes the unused tail, as fs-verity pads the last block of every level.
  void pad() { std::memset(buf->data() + fill, 0, kBlockSize - fill); }
};

using HashBytes = std::array<uint8_t, kMaxDigestSize>;

}  // namespace

Digest detail::descriptor_digest(Sha& sha, uint64_t size, const uint8_t* root) {
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

// tree[i] holds the pending hashes of level-i blocks (level 0: data blocks), i.e.
// the block of tree level i+1 being filled.
struct Hasher::Impl {
  explicit Impl(HashAlg alg)
      : sha(alg), hash_size(format::digest_size(alg)), hashes_per_block(kBlockSize / hash_size),
        pairs(alg == HashAlg::sha256 && detail::sha256_pair_available()) {}

  detail::Sha sha;
  size_t hash_size;         // of every hash in the tree
  size_t hashes_per_block;  // 128 (SHA-256) or 64 (SHA-512)
  bool pairs;               // two data blocks at a time (SHA-256 on the x86 SHA extensions)
  // Data not hashed yet: less than two blocks, so that blocks go in pairs and
  // only a file's very last block may be hashed alone.
  std::unique_ptr<std::array<uint8_t, 2 * kBlockSize>> pending = std::make_unique<std::array<uint8_t, 2 * kBlockSize>>();
  size_t pending_fill = 0;
  std::vector<Level> tree;
  std::vector<HashBytes> zero_hashes;  // [i]: hash of a level-i block of an all-zero subtree
  uint64_t size = 0;

  Level& level(size_t lvl);
  const HashBytes& zero_hash(size_t lvl);
  void push_hash(const uint8_t* hash, size_t lvl);
  void push_zero_hashes(size_t lvl, uint64_t count);
  void emit(const uint8_t* block, size_t lvl);
  void emit_data_pair(const uint8_t* two_blocks);
  void update(std::span<const uint8_t> in);
  void update_zeros(uint64_t bytes);
  void flush_pending_data();
  void flush_levels_below(size_t top);
  size_t top_level() const;
  Digest hash_at(size_t lvl) const;
  Digest root_hash();
  Digest finish();
  Digest finish_subtree(unsigned lvl);
  void reset();
};

Level& Hasher::Impl::level(size_t lvl) {
  while (tree.size() <= lvl) tree.emplace_back();  // Level buffers are stable
  return tree[lvl];
}

// Level 0: the hash of a zero data block; level i+1: the hash of a block full of
// level-i zero hashes. A hole's whole subtrees hash to these constants.
const HashBytes& Hasher::Impl::zero_hash(size_t lvl) {
  while (zero_hashes.size() <= lvl) {
    HashBytes next{};
    if (zero_hashes.empty()) {
      sha.hash(kZeroBlock.data(), kBlockSize, next.data());
    } else {
      Block block;
      for (size_t i = 0; i < hashes_per_block; ++i)
        std::memcpy(block.data() + i * hash_size, zero_hashes.back().data(), hash_size);
      sha.hash(block.data(), kBlockSize, next.data());
    }
    zero_hashes.push_back(next);
  }
  return zero_hashes[lvl];
}

// Appends a hash to tree[lvl], carrying upwards (hashing the full block into the
// level above) whenever that block fills.
void Hasher::Impl::push_hash(const uint8_t* hash, size_t lvl) {
  uint8_t carried[kMaxDigestSize];
  for (;;) {
    Level& up = level(lvl);
    std::memcpy(up.buf->data() + up.fill, hash, hash_size);
    up.fill += hash_size;
    if (up.fill < kBlockSize) return;
    up.fill = 0;
    sha.hash(up.buf->data(), kBlockSize, carried);
    hash = carried;
    ++lvl;
  }
}

// Appends `count` zero hashes to tree[lvl]. Where a run covers whole blocks of
// the level it stands for that many zero hashes one level up, so a hole of any
// size costs at most 2 * hashes_per_block pushes per level.
void Hasher::Impl::push_zero_hashes(size_t lvl, uint64_t count) {
  while (count > 0) {
    if (level(lvl).fill == 0 && count >= hashes_per_block) {
      push_zero_hashes(lvl + 1, count / hashes_per_block);
      count %= hashes_per_block;
      continue;
    }
    HashBytes zero = zero_hash(lvl);
    push_hash(zero.data(), lvl);
    --count;
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
  if (in.empty()) return;  // its data() may be null, which memcpy must not see
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

// Zeros: through update() up to the next block boundary and for the tail, as
// zero hashes for every whole block in between.
void Hasher::Impl::update_zeros(uint64_t bytes) {
  for (; pending_fill > 0 && bytes > 0;) {
    size_t take = static_cast<size_t>(std::min<uint64_t>(bytes, std::min(kBlockSize, 2 * kBlockSize - pending_fill)));
    update({kZeroBlock.data(), take});
    bytes -= take;
  }
  uint64_t blocks = bytes / kBlockSize;
  push_zero_hashes(0, blocks);
  size += blocks * kBlockSize;
  update({kZeroBlock.data(), static_cast<size_t>(bytes % kBlockSize)});
}

// The last one or two data blocks, the last one zero-padded.
void Hasher::Impl::flush_pending_data() {
  if (pending_fill == 0) return;
  std::memset(pending->data() + pending_fill, 0, 2 * kBlockSize - pending_fill);
  if (pending_fill > kBlockSize)
    emit_data_pair(pending->data());
  else
    emit(pending->data(), 0);
  pending_fill = 0;
}

// Pads and hashes every partial block below tree[top] into the level above.
void Hasher::Impl::flush_levels_below(size_t top) {
  for (size_t lvl = 0; lvl < top; ++lvl) {
    Level& cur = level(lvl);
    if (cur.fill == 0) continue;
    cur.pad();
    cur.fill = 0;
    const uint8_t* block = cur.buf->data();  // stable even if emit() grows `tree`
    emit(block, lvl + 1);
  }
}

// The level of tree[] that ends up with a single hash, the root: the data has
// ceil(size / 4096) blocks, each level above 1/hashes_per_block as many.
size_t Hasher::Impl::top_level() const {
  uint64_t n = (size + kBlockSize - 1) / kBlockSize;
  size_t lvl = 0;
  for (; n > 1; ++lvl) n = (n + hashes_per_block - 1) / hashes_per_block;
  return lvl;
}

Digest Hasher::Impl::hash_at(size_t lvl) const {
  Digest out(sha.alg());
  std::memcpy(out.data(), tree[lvl].buf->data(), hash_size);
  return out;
}

// Empty data: the root is all zeros.
Digest Hasher::Impl::root_hash() {
  if (size == 0) return Digest(sha.alg());
  flush_pending_data();
  size_t top = top_level();
  flush_levels_below(top);
  return hash_at(top);
}

Digest Hasher::Impl::finish() {
  Digest root = root_hash();
  Digest out = detail::descriptor_digest(sha, size, root.data());
  reset();
  return out;
}

Digest Hasher::Impl::finish_subtree(unsigned lvl) {
  flush_pending_data();
  flush_levels_below(lvl);
  Digest out = hash_at(lvl);
  reset();
  return out;
}

void Hasher::Impl::reset() {
  pending_fill = 0;
  for (Level& l : tree) l.fill = 0;
  size = 0;
}

Hasher::Hasher(HashAlg alg) : impl_(std::make_unique<Impl>(alg)) {}
Hasher::~Hasher() = default;
Hasher::Hasher(Hasher&&) noexcept = default;
Hasher& Hasher::operator=(Hasher&&) noexcept = default;

void Hasher::update(std::span<const uint8_t> data) { impl_->update(data); }
void Hasher::update_zeros(uint64_t bytes) { impl_->update_zeros(bytes); }
Digest Hasher::finish() { return impl_->finish(); }
uint64_t Hasher::size() const { return impl_->size; }
HashAlg Hasher::alg() const { return impl_->sha.alg(); }

uint64_t Hasher::subtree_size(HashAlg alg, unsigned level) {
  uint64_t bytes = kBlockSize;
  for (unsigned i = 0; i < level; ++i) bytes *= kBlockSize / format::digest_size(alg);
  return bytes;
}

Digest Hasher::finish_subtree(unsigned level) { return impl_->finish_subtree(level); }

void Hasher::append_subtree(const Digest& root, unsigned level, uint64_t bytes) {
  impl_->push_hash(root.data(), level);
  impl_->size += bytes;
}

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
  detail::Sha sha(HashAlg::sha256);
  digest_a = detail::descriptor_digest(sha, a.size(), root_a);
  digest_b = detail::descriptor_digest(sha, b.size(), root_b);
}

}  // namespace cfs::fsverity
