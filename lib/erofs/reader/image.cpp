#include "erofs/reader/image.hpp"

#include <limits>
#include "tree/tree.hpp"

namespace cfs::erofs::reader {
namespace fmt = cfs::format;

Error corrupt(const std::string& what) { return make_error(EINVAL, what); }

namespace {

constexpr uint64_t kBlock = fmt::EROFS_BLKSIZ;

// a + b without wrapping, or UINT64_MAX (which is always out of range).
uint64_t add_sat(uint64_t a, uint64_t b) {
  return b > std::numeric_limits<uint64_t>::max() - a ? std::numeric_limits<uint64_t>::max() : a + b;
}

// a * b without wrapping, or UINT64_MAX.
uint64_t mul_sat(uint64_t a, uint64_t b) {
  if (a != 0 && b > std::numeric_limits<uint64_t>::max() / a) return std::numeric_limits<uint64_t>::max();
  return a * b;
}

void fill_compact(Inode& ino, const fmt::erofs_inode_compact& c, const Image& img) {
  ino.mode = c.i_mode;
  ino.nlink = c.i_nlink;
  ino.size = c.i_size;
  ino.uid = c.i_uid;
  ino.gid = c.i_gid;
  ino.i_u = c.i_u;
  // Compact inodes have no mtime: it is the superblock's build time.
  ino.mtime_sec = static_cast<int64_t>(img.build_time());
  ino.mtime_nsec = img.build_time_nsec();
}

void fill_extended(Inode& ino, const fmt::erofs_inode_extended& e) {
  ino.mode = e.i_mode;
  ino.nlink = e.i_nlink;
  ino.size = e.i_size;
  ino.uid = e.i_uid;
  ino.gid = e.i_gid;
  ino.i_u = e.i_u;
  ino.mtime_sec = static_cast<int64_t>(e.i_mtime.get());
  ino.mtime_nsec = e.i_mtime_nsec;
}

}  // namespace

Result<Image> Image::open(std::span<const uint8_t> bytes) {
  Image img(bytes);
  // C (lcfs_load_node_from_image_ext) refuses anything smaller than one block.
  if (bytes.size() < kBlock) return corrupt("image too small (" + std::to_string(bytes.size()) + " bytes)");
  auto hdr = CFS_TRY(img.read<fmt::lcfs_erofs_header_s>(0));
  if (hdr.magic != fmt::LCFS_EROFS_MAGIC) return corrupt("not a composefs image (bad magic)");
  if (hdr.version != fmt::LCFS_EROFS_VERSION)
    return make_error(ENOTSUP, "unsupported composefs header version " + std::to_string(hdr.version.get()));
  img.composefs_version_ = hdr.composefs_version;
  img.flags_ = hdr.flags;

  auto sb = CFS_TRY(img.read<fmt::erofs_super_block>(fmt::EROFS_SUPER_OFFSET));
  if (sb.magic != fmt::EROFS_SUPER_MAGIC_V1) return corrupt("bad EROFS superblock magic");
  if (sb.blkszbits != fmt::EROFS_BLKSIZ_BITS)
    return corrupt("unsupported block size 2^" + std::to_string(sb.blkszbits));
  img.meta_start_ = uint64_t{sb.meta_blkaddr} * kBlock;
  img.xattr_start_ = uint64_t{sb.xattr_blkaddr} * kBlock;
  if (img.meta_start_ >= img.size() || img.xattr_start_ >= img.size())
    return corrupt("metadata or xattr area starts beyond the image end");
  img.root_nid_ = sb.root_nid;
  img.build_time_ = sb.build_time;
  img.build_time_nsec_ = sb.build_time_nsec;
  return img;
}

Result<std::span<const uint8_t>> Image::bytes(uint64_t off, uint64_t len) const {
  if (off > size() || len > size() - off)
    return corrupt("range " + std::to_string(off) + "+" + std::to_string(len) + " is outside the image (" +
                   std::to_string(size()) + " bytes)");
  return bytes_.subspan(off, len);
}

std::span<const uint8_t> Image::bytes_clamped(uint64_t off, uint64_t len) const {
  if (off >= size()) return {};
  return bytes_.subspan(off, std::min(len, size() - off));
}

Result<Inode> read_inode(const Image& img, uint64_t nid) {
  Inode ino;
  ino.nid = nid;
  ino.pos = add_sat(img.meta_start(), mul_sat(nid, fmt::EROFS_SLOTSIZE));
  // Built only for a message: this runs for every entry of a listing.
  auto where = [nid] { return "inode " + std::to_string(nid); };
  auto i_format = img.read<fmt::le16>(ino.pos);
  if (!i_format) return corrupt(where() + ": nid out of range");
  // Bits 0-3: layout version and data layout; higher bits are unknown features.
  if (*i_format >> 4) return corrupt(where() + ": unknown i_format bits");
  ino.layout = (*i_format >> fmt::EROFS_I_DATALAYOUT_BIT) & fmt::EROFS_I_DATALAYOUT_MASK;
  if (ino.layout != fmt::EROFS_INODE_FLAT_PLAIN && ino.layout != fmt::EROFS_INODE_FLAT_INLINE &&
      ino.layout != fmt::EROFS_INODE_CHUNK_BASED)
    return corrupt(where() + ": unsupported data layout " + std::to_string(ino.layout));
  uint64_t isize;
  uint16_t icount;
  if ((*i_format & fmt::EROFS_I_VERSION_MASK) == fmt::EROFS_INODE_LAYOUT_COMPACT) {
    auto c = img.read<fmt::erofs_inode_compact>(ino.pos);
    if (!c) return corrupt(where() + ": truncated");
    fill_compact(ino, *c, img);
    isize = sizeof(fmt::erofs_inode_compact);
    icount = c->i_xattr_icount;
  } else {
    auto e = img.read<fmt::erofs_inode_extended>(ino.pos);
    if (!e) return corrupt(where() + ": truncated");
    fill_extended(ino, *e);
    isize = sizeof(fmt::erofs_inode_extended);
    icount = e->i_xattr_icount;
  }
  if (!tree::is_valid_file_type(ino.mode)) return corrupt(where() + ": unknown file type in mode");
  ino.xattr_pos = ino.pos + isize;
  ino.xattr_size = fmt::xattr_ibody_size(icount);
  ino.tail_pos = ino.xattr_pos + ino.xattr_size;
  if (!img.bytes(ino.xattr_pos, ino.xattr_size)) return corrupt(where() + ": xattr area outside the image");
  return ino;
}

Result<std::span<const uint8_t>> inline_tail(const Image& img, const Inode& ino, uint64_t len) {
  // The kernel reads inline data from the inode's block only.
  if (len > kBlock || ino.tail_pos % kBlock + len > kBlock)
    return corrupt("inode " + std::to_string(ino.nid) + ": inline data crosses a block boundary");
  auto b = img.bytes(ino.tail_pos, len);
  if (!b) return corrupt("inode " + std::to_string(ino.nid) + ": inline data outside the image");
  return b;
}

Result<std::span<const uint8_t>> blocks(const Image& img, uint64_t blkaddr, uint64_t count) {
  auto b = img.bytes(mul_sat(blkaddr, kBlock), mul_sat(count, kBlock));
  if (!b) return corrupt("data block " + std::to_string(blkaddr) + " (+" + std::to_string(count) + ") outside the image");
  return b;
}

Result<void> check_chunk_table(const Image& img, const Inode& ino) {
  if (ino.i_u & fmt::EROFS_CHUNK_FORMAT_INDEXES)
    return corrupt("inode " + std::to_string(ino.nid) + ": 8-byte chunk indexes are not used by composefs");
  unsigned chunkbits = fmt::EROFS_BLKSIZ_BITS + (ino.i_u & fmt::EROFS_CHUNK_FORMAT_BLKBITS_MASK);
  uint64_t chunks = (ino.size >> chunkbits) + ((ino.size & ((uint64_t{1} << chunkbits) - 1)) != 0);
  if (!img.bytes(ino.tail_pos, mul_sat(chunks, 4)))
    return corrupt("inode " + std::to_string(ino.nid) + ": chunk table outside the image");
  return {};
}

}  // namespace cfs::erofs::reader
