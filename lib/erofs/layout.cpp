// Layout: the shared-xattr table and the placement of every inode, following
// composefs-c's compute_erofs_shared_xattrs and compute_erofs_inodes.
#include <algorithm>
#include <bit>
#include <vector>

#include "erofs/plan.hpp"
#include "format/erofs_fs.hpp"

namespace cfs::erofs::detail {
namespace {

namespace fmt = cfs::format;
using fmt::EROFS_BLKSIZ;

constexpr uint64_t round_up(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

// Hash of an xattr's (name, value) pair, for counting equal pairs. Only the hash
// table's probing depends on it, never the image (pairs are numbered in order of
// first use, then sorted), so std::hash differing between 32- and 64-bit size_t is
// harmless; the arithmetic is in 64 bits so that the fold is defined on both.
uint32_t pair_hash(const XattrEntry& x) {
  auto hash = [](std::string_view s) -> uint64_t { return std::hash<std::string_view>{}(s); };
  uint64_t h = hash(x.name) * 31 ^ hash(x.value) ^ x.slash;
  return static_cast<uint32_t>(h ^ (h >> 32));
}

// Index byte and name suffix for a full xattr name (C: xattr_erofs_entry_index).
uint8_t prefix_index(std::string_view name, std::string_view& suffix) {
  static constexpr std::pair<std::string_view, uint8_t> prefixes[] = {
      {"user.", fmt::EROFS_XATTR_INDEX_USER},
      {"system.posix_acl_access", fmt::EROFS_XATTR_INDEX_POSIX_ACL_ACCESS},
      {"system.posix_acl_default", fmt::EROFS_XATTR_INDEX_POSIX_ACL_DEFAULT},
      {"trusted.", fmt::EROFS_XATTR_INDEX_TRUSTED},
      {"security.", fmt::EROFS_XATTR_INDEX_SECURITY},
  };
  for (const auto& [prefix, index] : prefixes)
    if (name.starts_with(prefix)) {
      suffix = name.substr(prefix.size());
      return index;
    }
  suffix = name;
  return 0;
}

// C: compute_erofs_dir_size — dirents packed into 4 KiB blocks; a last group of
// more than half a block gets a block of its own, otherwise it is the inline tail.
void size_directory(const Plan& plan, Inode& ino) {
  uint64_t blocks = 0, used = 0;
  for (const Dirent& d : plan.dirents_of(ino)) {
    uint64_t len = sizeof(fmt::erofs_dirent) + d.name.size();
    if (used + len > EROFS_BLKSIZ) {
      ++blocks;
      used = 0;
    }
    used += len;
  }
  if (used > EROFS_BLKSIZ / 2) {
    ++blocks;
    used = 0;
  }
  ino.n_blocks = blocks;
  ino.tailsize = used;
}

// C: compute_erofs_inode_size.
void size_data(const Plan& plan, Inode& ino) {
  ino.n_blocks = 0;
  ino.tailsize = 0;
  if (ino.type() == S_IFDIR) {
    size_directory(plan, ino);
  } else if (ino.type() == S_IFLNK) {
    ino.tailsize = ino.data.size();  // may move out of line in tail_padding()
  } else if (ino.type() == S_IFREG && ino.size > 0) {
    if (!ino.data.empty()) {
      ino.n_blocks = ino.size / EROFS_BLKSIZ;
      ino.tailsize = ino.size % EROFS_BLKSIZ;
      if (ino.tailsize > EROFS_BLKSIZ / 2) {
        ++ino.n_blocks;
        ino.tailsize = 0;
      }
    } else {
      uint32_t bits;
      uint64_t chunks;
      compute_chunking(ino.size, bits, chunks);
      ino.tailsize = chunks * sizeof(uint32_t);  // the chunk table, all EROFS_NULL_ADDR
    }
  }
}

// C: lcfs_fits_in_erofs_compact. Uses the sizes before any tail relocation.
bool fits_compact(const Plan& plan, const Inode& ino) {
  if (ino.mtime_sec != plan.min_mtime_sec || ino.mtime_nsec != plan.min_mtime_nsec) return false;
  if (ino.nlink > 0xffff || ino.uid > 0xffff || ino.gid > 0xffff) return false;
  uint64_t size = ino.type() == S_IFDIR ? ino.n_blocks * EROFS_BLKSIZ + ino.tailsize : ino.size;
  return size <= 0xffffffffULL;
}

void size_xattrs(const Plan& plan, Inode& ino) {
  uint64_t inline_size = 0;
  ino.n_shared = 0;
  for (const auto& x : plan.xattrs_of(ino)) {
    if (x.shared_offset >= 0)
      ++ino.n_shared;
    else
      inline_size += xattr_entry_size(x);
  }
  ino.xattr_size = (ino.n_shared == 0 && inline_size == 0)
                       ? 0
                       : round_up(sizeof(fmt::erofs_xattr_ibody_header) + 4 * ino.n_shared + inline_size, 4);
}

// C: compute_erofs_inode_padding_for_tail — padding in front of the inode so its
// inline tail does not cross a block boundary; may push the tail out of line.
uint64_t tail_padding(Inode& ino, uint64_t pos, uint64_t inode_size) {
  const uint64_t head = inode_size + ino.xattr_size;
  const uint64_t total = head + ino.tailsize;
  if (ino.type() == S_IFLNK) {
    // Inode and target should share a block; a target that cannot goes out of line.
    if (total / EROFS_BLKSIZ > 0) {
      ++ino.n_blocks;
      ino.tailsize = 0;
    }
    bool crosses = pos / EROFS_BLKSIZ != (pos + total - 1) / EROFS_BLKSIZ;
    return crosses ? round_up(pos, EROFS_BLKSIZ) - pos : 0;
  }
  uint64_t remainder = EROFS_BLKSIZ - (pos + head) % EROFS_BLKSIZ;
  if (remainder >= ino.tailsize) return 0;
  uint64_t pad = round_up(remainder, fmt::EROFS_SLOTSIZE);
  remainder = EROFS_BLKSIZ - (pos + head + pad) % EROFS_BLKSIZ;
  if (ino.tailsize <= remainder) return pad;
  // Quirk kept from C: the tail still does not fit (a chunk table near 4 KiB), so it
  // becomes one more data block and the inode moves to the next block boundary.
  ++ino.n_blocks;
  ino.tailsize = 0;
  return round_up(pos, EROFS_BLKSIZ) - pos;
}

}  // namespace

uint64_t xattr_entry_size(const XattrEntry& x) {
  std::string_view suffix;
  prefix_index(x.name, suffix);
  return round_up(sizeof(fmt::erofs_xattr_entry) + suffix.size() + x.value_size(), 4);
}

uint8_t xattr_prefix(std::string_view name, std::string_view& suffix) { return prefix_index(name, suffix); }

namespace {

// Distinct (name, value) pairs and how many inodes use each: open addressing over
// 8-byte slots, one 16-byte record per distinct pair (a million-file tree has a
// million distinct redirect values; node-based maps spent their time in malloc).
class XattrCounter {
 public:
  struct Use {
    uint32_t first;       // index in Plan::xattrs of the pair's first use
    uint32_t count = 0;
    int64_t offset = -1;  // in the shared table, once placed
  };

  explicit XattrCounter(const std::vector<XattrEntry>& xattrs)
      : xattrs_(xattrs), slots_(std::bit_ceil(std::max<size_t>(16, xattrs.size() + xattrs.size() / 2))) {}

  /// Counts xattr `index` once more; returns the number of its pair's record.
  uint32_t count(uint32_t index) {
    const XattrEntry& x = xattrs_[index];
    const uint32_t h = pair_hash(x);
    const size_t mask = slots_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      Slot& slot = slots_[i];
      if (slot.use == kEmpty) {
        slot = {h, static_cast<uint32_t>(uses_.size())};
        uses_.push_back(Use{index});
        ++uses_.back().count;
        return slot.use;
      }
      const XattrEntry& seen = xattrs_[uses_[slot.use].first];
      if (slot.hash == h && seen.name == x.name && seen.slash == x.slash && seen.value == x.value) {
        ++uses_[slot.use].count;
        return slot.use;
      }
    }
  }
  std::vector<Use>& uses() { return uses_; }

 private:
  static constexpr uint32_t kEmpty = UINT32_MAX;
  struct Slot {
    uint32_t hash = 0;
    uint32_t use = kEmpty;
  };
  const std::vector<XattrEntry>& xattrs_;
  std::vector<Slot> slots_;  // at most 2/3 full
  std::vector<Use> uses_;
};

}  // namespace

void share_xattrs(Plan& plan) {
  XattrCounter counter(plan.xattrs);
  // The record number of each xattr's pair waits in its shared_offset meanwhile.
  for (uint32_t i = 0; i < plan.xattrs.size(); ++i) plan.xattrs[i].shared_offset = counter.count(i);
  // Every (name, value) used by two or more inodes is shared, in descending order of
  // name, then value length, then value bytes (C: xattrs_ht_sort).
  auto& uses = counter.uses();
  std::vector<uint32_t> shared;
  for (uint32_t u = 0; u < uses.size(); ++u)
    if (uses[u].count > 1) shared.push_back(u);
  auto pair_of = [&](uint32_t u) -> const XattrEntry& { return plan.xattrs[uses[u].first]; };
  std::sort(shared.begin(), shared.end(), [&](uint32_t ua, uint32_t ub) {
    const XattrEntry &a = pair_of(ua), &b = pair_of(ub);
    if (a.name != b.name) return a.name > b.name;
    // Same name from here on, so both or neither value has the leading slash.
    if (a.value_size() != b.value_size()) return a.value_size() > b.value_size();
    return a.value > b.value;
  });
  uint64_t offset = 0;
  for (uint32_t u : shared) {
    uses[u].offset = static_cast<int64_t>(offset);
    offset += xattr_entry_size(pair_of(u));
  }
  plan.shared_size = offset;
  // The table's entries, copied (plan.xattrs' offsets change below).
  for (uint32_t u : shared) {
    XattrEntry entry = pair_of(u);
    entry.shared_offset = uses[u].offset;
    plan.shared.push_back(entry);
  }
  // An inode refers to at most 128 shared entries; later shared pairs stay inline.
  for (const Inode& ino : plan.inodes) {
    uint32_t n_shared = 0;
    for (auto& x : plan.xattrs_of(ino)) {
      const int64_t use_offset = uses[static_cast<uint32_t>(x.shared_offset)].offset;
      bool as_ref = use_offset >= 0 && n_shared < fmt::EROFS_XATTR_LONG_PREFIX;
      x.shared_offset = as_ref ? use_offset : -1;
      n_shared += as_ref;
    }
  }
}

void place_inodes(Plan& plan) {
  uint64_t pos = fmt::EROFS_SUPER_OFFSET + sizeof(fmt::erofs_super_block);
  for (Inode& ino : plan.inodes) {
    size_data(plan, ino);
    ino.compact = fits_compact(plan, ino);
    uint64_t inode_size = ino.compact ? sizeof(fmt::erofs_inode_compact) : sizeof(fmt::erofs_inode_extended);
    size_xattrs(plan, ino);
    uint64_t aligned = round_up(pos, fmt::EROFS_SLOTSIZE);
    uint64_t extra = tail_padding(ino, aligned, inode_size);
    ino.ipad = aligned - pos + extra;
    pos = aligned + extra;
    ino.nid = pos / fmt::EROFS_SLOTSIZE;  // meta_blkaddr is 0: nids count from byte 0
    plan.n_data_blocks += ino.n_blocks;
    pos += inode_size + ino.xattr_size + ino.tailsize;
  }
  plan.inodes_end = round_up(pos, fmt::EROFS_SLOTSIZE);
}

}  // namespace cfs::erofs::detail
