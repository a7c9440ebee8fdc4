// Emission: writes the planned image in composefs-c's order (C: lcfs_write_erofs_to):
// header, superblock, inodes with their xattrs and tails, shared xattrs, data blocks.
#include <algorithm>
#include <cstring>

#include "erofs/plan.hpp"
#include "format/composefs.hpp"
#include "format/erofs_fs.hpp"
#include "util/xxh32.hpp"

namespace cfs::erofs::detail {
namespace {

namespace fmt = cfs::format;
using fmt::EROFS_BLKSIZ;

// Buffers output and hands it to the sink in large pieces; remembers the first error.
class Output {
 public:
  explicit Output(Sink& sink) : sink_(sink) { buf_.reserve(64 << 10); }
  void put(const void* data, size_t len) {
    auto p = static_cast<const uint8_t*>(data);
    buf_.insert(buf_.end(), p, p + len);
    pos_ += len;
    if (buf_.size() >= kFlushAt) flush();
  }
  void put(std::string_view s) { put(s.data(), s.size()); }
  template <class T>
  void put_struct(const T& v) {
    static_assert(fmt::is_ondisk_v<T>);
    put(&v, sizeof v);
  }
  void fill(size_t len, uint8_t byte = 0) {
    buf_.insert(buf_.end(), len, byte);
    pos_ += len;
    if (buf_.size() >= kFlushAt) flush();
  }
  void align(uint64_t a) { fill((a - pos_ % a) % a); }
  uint64_t pos() const { return pos_; }
  Result<void> finish() {
    flush();
    return result_;
  }

 private:
  static constexpr size_t kFlushAt = 1 << 20;
  void flush() {
    if (result_.ok() && !buf_.empty()) result_ = sink_.write(buf_);
    buf_.clear();
  }
  Sink& sink_;
  std::vector<uint8_t> buf_;
  uint64_t pos_ = 0;
  Result<void> result_;
};

void put_xattr(Output& out, const XattrEntry& x) {
  std::string_view suffix;
  fmt::erofs_xattr_entry e{};
  e.e_name_index = xattr_prefix(x.name, suffix);
  e.e_name_len = static_cast<uint8_t>(suffix.size());
  e.e_value_size = static_cast<uint16_t>(x.value_size());
  out.put_struct(e);
  out.put(suffix);
  if (x.slash) out.put("/");
  out.put(x.value);
  out.align(4);
}

// C: compute_erofs_xattr_filter — complement of one bit per name (of 32) from xxh32.
uint32_t xattr_name_filter(const Plan& plan, const Inode& ino) {
  uint32_t bits = 0;
  for (const auto& x : plan.xattrs_of(ino)) {
    std::string_view suffix;
    uint8_t index = xattr_prefix(x.name, suffix);
    bits |= 1U << (xxh32(suffix, fmt::EROFS_XATTR_FILTER_SEED + index) & (fmt::EROFS_XATTR_FILTER_BITS - 1));
  }
  return fmt::EROFS_XATTR_FILTER_DEFAULT & ~bits;
}

// Writes dirents[first, first+count) as one directory block: all dirents, then names.
void put_dirent_group(Output& out, const Plan& plan, const Inode& dir, size_t first, size_t count) {
  auto nameoff = static_cast<uint16_t>(count * sizeof(fmt::erofs_dirent));
  for (size_t i = first; i < first + count; ++i) {
    const Inode& target = plan.inodes[plan.dirents_of(dir)[i].inode];
    fmt::erofs_dirent d{};
    d.nid = target.nid;
    d.nameoff = nameoff;
    d.file_type = fmt::erofs_file_type(target.mode);
    out.put_struct(d);
    nameoff = static_cast<uint16_t>(nameoff + plan.dirents_of(dir)[i].name.size());
  }
  for (size_t i = first; i < first + count; ++i) out.put(plan.dirents_of(dir)[i].name);
}

// C: write_erofs_dentries — full blocks go to the data area, the tail inline.
void put_dirents(Output& out, const Plan& plan, const Inode& dir, bool blocks, bool tail) {
  const auto dirents = plan.dirents_of(dir);
  size_t used = 0, written = 0, first = 0;
  for (size_t i = 0; i < dirents.size(); ++i) {
    size_t len = sizeof(fmt::erofs_dirent) + dirents[i].name.size();
    if (used + len > EROFS_BLKSIZ) {
      if (blocks) {
        put_dirent_group(out, plan, dir, first, i - first);
        out.align(EROFS_BLKSIZ);
      }
      ++written;
      used = 0;
      first = i;
    }
    used += len;
  }
  if (written < dir.n_blocks) {
    if (blocks) {
      put_dirent_group(out, plan, dir, first, dirents.size() - first);
      out.align(EROFS_BLKSIZ);
    }
    used = 0;
    first = dirents.size();
  }
  if (tail && used > 0) put_dirent_group(out, plan, dir, first, dirents.size() - first);
}

struct InodeFields {
  uint16_t format;
  uint16_t xattr_icount;
  uint64_t size;
  uint32_t i_u;
};

// i_format, i_size and i_u for one inode; advances the next free data block.
InodeFields inode_fields(const Inode& ino, uint64_t& next_block) {
  InodeFields f{};
  uint16_t layout = ino.tailsize > 0 ? fmt::EROFS_INODE_FLAT_INLINE : fmt::EROFS_INODE_FLAT_PLAIN;
  f.xattr_icount = ino.xattr_size == 0 ? 0 : static_cast<uint16_t>((ino.xattr_size - 12) / 4 + 1);
  if (ino.type() == S_IFCHR || ino.type() == S_IFBLK) f.i_u = ino.rdev;
  if (ino.n_blocks > 0 && (ino.type() == S_IFDIR || ino.type() == S_IFREG || ino.type() == S_IFLNK)) {
    f.i_u = static_cast<uint32_t>(next_block);
    next_block += ino.n_blocks;
  }
  switch (ino.type()) {
    case S_IFDIR: f.size = ino.n_blocks * EROFS_BLKSIZ + ino.tailsize; break;
    case S_IFLNK: f.size = ino.data.size(); break;
    case S_IFREG: f.size = ino.size; break;
    default: f.size = 0; break;
  }
  if (ino.chunk_based()) {
    uint32_t bits;
    uint64_t chunks;
    compute_chunking(ino.size, bits, chunks);
    layout = fmt::EROFS_INODE_CHUNK_BASED;
    // The chunk format overwrites only the low 16 bits of the block address (C quirk).
    f.i_u = (f.i_u & 0xffff0000U) | (bits - fmt::EROFS_BLKSIZ_BITS);
  }
  uint16_t version = ino.compact ? fmt::EROFS_INODE_LAYOUT_COMPACT : fmt::EROFS_INODE_LAYOUT_EXTENDED;
  f.format = static_cast<uint16_t>(layout << fmt::EROFS_I_DATALAYOUT_BIT | version << fmt::EROFS_I_VERSION_BIT);
  return f;
}

void put_inode_core(Output& out, const Inode& ino, uint32_t ino_num, const InodeFields& f) {
  if (ino.compact) {
    fmt::erofs_inode_compact i{};
    i.i_format = f.format;
    i.i_xattr_icount = f.xattr_icount;
    i.i_mode = static_cast<uint16_t>(ino.mode);
    i.i_nlink = static_cast<uint16_t>(ino.nlink);
    i.i_size = static_cast<uint32_t>(f.size);
    i.i_u = f.i_u;
    i.i_ino = ino_num;
    i.i_uid = static_cast<uint16_t>(ino.uid);
    i.i_gid = static_cast<uint16_t>(ino.gid);
    out.put_struct(i);
    return;
  }
  fmt::erofs_inode_extended i{};
  i.i_format = f.format;
  i.i_xattr_icount = f.xattr_icount;
  i.i_mode = static_cast<uint16_t>(ino.mode);
  i.i_size = f.size;
  i.i_u = f.i_u;
  i.i_ino = ino_num;
  i.i_uid = ino.uid;
  i.i_gid = ino.gid;
  i.i_mtime = static_cast<uint64_t>(ino.mtime_sec);
  i.i_mtime_nsec = ino.mtime_nsec;
  i.i_nlink = ino.nlink;
  out.put_struct(i);
}

void put_inode_xattrs(Output& out, const Plan& plan, const Inode& ino) {
  if (ino.xattr_size == 0) return;
  fmt::erofs_xattr_ibody_header h{};
  h.h_name_filter = xattr_name_filter(plan, ino);
  h.h_shared_count = static_cast<uint8_t>(ino.n_shared);
  out.put_struct(h);
  for (const auto& x : plan.xattrs_of(ino))
    if (x.shared_offset >= 0) {
      // Shared ids count 4-byte units from the block holding the table start.
      fmt::le32 id = static_cast<uint32_t>((plan.inodes_end % EROFS_BLKSIZ + uint64_t(x.shared_offset)) / 4);
      out.put_struct(id);
    }
  for (const auto& x : plan.xattrs_of(ino))
    if (x.shared_offset < 0) put_xattr(out, x);
}

// C: write_erofs_inode_data — padding, inode, xattrs, then the inline tail.
void put_inode(Output& out, const Plan& plan, const Inode& ino, uint64_t& next_block) {
  out.fill(ino.ipad);
  InodeFields f = inode_fields(ino, next_block);
  put_inode_core(out, ino, static_cast<uint32_t>(&ino - plan.inodes.data()), f);
  put_inode_xattrs(out, plan, ino);
  if (ino.type() == S_IFDIR) {
    put_dirents(out, plan, ino, false, true);
  } else if (ino.type() == S_IFLNK) {
    if (ino.n_blocks == 0) out.put(ino.data);
  } else if (ino.type() == S_IFREG && ino.tailsize > 0) {
    if (ino.chunk_based())
      out.fill(ino.tailsize, 0xff);  // every chunk index is EROFS_NULL_ADDR
    else
      out.put(ino.data.substr(ino.size - ino.tailsize));
  }
}

// C: write_erofs_file_content — at most one block per file.
void put_file_block(Output& out, const Inode& ino) {
  if (ino.n_blocks == 0) return;
  if (ino.type() == S_IFREG && ino.chunk_based()) {
    out.fill(EROFS_BLKSIZ, 0xff);  // a chunk table that did not fit inline
    return;
  }
  if (ino.type() != S_IFREG && ino.type() != S_IFLNK) return;
  out.put(ino.data.substr(0, std::min<uint64_t>(ino.data.size(), EROFS_BLKSIZ)));
  out.align(EROFS_BLKSIZ);
}

void put_superblock(Output& out, const Plan& plan, uint64_t data_start) {
  fmt::lcfs_erofs_header_s header{};
  header.magic = fmt::LCFS_EROFS_MAGIC;
  header.version = fmt::LCFS_EROFS_VERSION;
  header.flags = plan.has_acl ? fmt::LCFS_EROFS_FLAGS_HAS_ACL : 0;
  header.composefs_version = plan.version;
  out.put_struct(header);
  out.fill(fmt::EROFS_SUPER_OFFSET - sizeof header);

  fmt::erofs_super_block sb{};
  sb.magic = fmt::EROFS_SUPER_MAGIC_V1;
  sb.feature_compat = fmt::EROFS_FEATURE_COMPAT_MTIME | fmt::EROFS_FEATURE_COMPAT_XATTR_FILTER;
  sb.blkszbits = fmt::EROFS_BLKSIZ_BITS;
  sb.root_nid = static_cast<uint16_t>(plan.inodes[0].nid);
  sb.inos = plan.inodes.size();
  sb.build_time = static_cast<uint64_t>(plan.min_mtime_sec);
  sb.build_time_nsec = plan.min_mtime_nsec;
  sb.blocks = static_cast<uint32_t>(data_start / EROFS_BLKSIZ + plan.n_data_blocks);
  sb.meta_blkaddr = 0;
  sb.xattr_blkaddr = static_cast<uint32_t>(plan.inodes_end / EROFS_BLKSIZ);
  out.put_struct(sb);
}

}  // namespace

Result<uint64_t> emit_image(const Plan& plan, Sink& sink) {
  if (plan.inodes[0].nid > 0xffff) return make_error(EOVERFLOW, "root inode beyond nid 65535");
  const uint64_t data_start = (plan.inodes_end + plan.shared_size + EROFS_BLKSIZ - 1) / EROFS_BLKSIZ * EROFS_BLKSIZ;
  Output out(sink);
  put_superblock(out, plan, data_start);
  uint64_t next_block = data_start / EROFS_BLKSIZ;
  for (const Inode& ino : plan.inodes) put_inode(out, plan, ino, next_block);
  out.align(fmt::EROFS_SLOTSIZE);
  for (const XattrEntry& x : plan.shared) put_xattr(out, x);
  out.align(EROFS_BLKSIZ);
  for (const Inode& ino : plan.inodes) {
    if (ino.type() == S_IFDIR) put_dirents(out, plan, ino, true, false);
    put_file_block(out, ino);
  }
  CFS_CHECK(out.finish());
  return out.pos();
}

}  // namespace cfs::erofs::detail
