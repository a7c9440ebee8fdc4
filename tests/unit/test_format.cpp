// format: little-endian fields, on-disk struct sizes, offsets and encodings.
#include <array>
#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "format/composefs.hpp"
#include "format/erofs_fs.hpp"
#include "format/le.hpp"

using namespace cfs::format;

namespace {

template <class T>
std::vector<uint8_t> raw(const T& v) {
  std::vector<uint8_t> out(sizeof(T));
  std::memcpy(out.data(), &v, sizeof(T));
  return out;
}

using Bytes = std::vector<uint8_t>;

}  // namespace

TEST_CASE("le16/le32/le64 store little-endian bytes", "[format][le]") {
  CHECK(raw(le16(0x1234)) == Bytes{0x34, 0x12});
  CHECK(raw(le32(0xd078629au)) == Bytes{0x9a, 0x62, 0x78, 0xd0});
  CHECK(raw(le32(0xE0F5E1E2u)) == Bytes{0xe2, 0xe1, 0xf5, 0xe0});
  CHECK(raw(le64(0x0102030405060708ull)) == Bytes{8, 7, 6, 5, 4, 3, 2, 1});
  CHECK(raw(le64(~0ull)) == Bytes(8, 0xff));
  CHECK(raw(le32()) == Bytes(4, 0));

  le32 v;
  v = 0x80000001u;
  CHECK(raw(v) == Bytes{0x01, 0x00, 0x00, 0x80});
  CHECK(v.get() == 0x80000001u);
  uint32_t back = v;
  CHECK(back == 0x80000001u);

  // Signed seconds are stored as their two's complement u64 (build_time -1).
  le64 t = static_cast<uint64_t>(int64_t{-1});
  CHECK(raw(t) == Bytes(8, 0xff));
  CHECK(static_cast<int64_t>(t.get()) == -1);
}

TEST_CASE("LittleEndian loads what memcpy'd bytes say", "[format][le]") {
  const uint8_t bytes[8] = {0xef, 0xbe, 0xad, 0xde, 0x78, 0x56, 0x34, 0x12};
  le64 x;
  std::memcpy(&x, bytes, 8);
  CHECK(x.get() == 0x12345678deadbeefull);
  le16 y;
  std::memcpy(&y, bytes + 2, 2);
  CHECK(y.get() == 0xdeadu);
  STATIC_REQUIRE(le32(0x01020304u).get() == 0x01020304u);
  STATIC_REQUIRE(sizeof(le16) == 2 && sizeof(le32) == 4 && sizeof(le64) == 8);
  STATIC_REQUIRE(alignof(le16) == 1 && alignof(le32) == 1 && alignof(le64) == 1);
}

TEST_CASE("on-disk struct sizes", "[format]") {
  CHECK(sizeof(lcfs_erofs_header_s) == 32);
  CHECK(sizeof(erofs_super_block) == 128);
  CHECK(sizeof(erofs_inode_compact) == 32);
  CHECK(sizeof(erofs_inode_extended) == 64);
  CHECK(sizeof(erofs_xattr_ibody_header) == 12);
  CHECK(sizeof(erofs_xattr_entry) == 4);
  CHECK(sizeof(erofs_dirent) == 12);
  CHECK(sizeof(erofs_inode_chunk_index) == 8);
  CHECK(sizeof(ovl_metacopy) == 68);  // room for SHA-512; 36 bytes are stored with SHA-256
  CHECK(OVL_METACOPY_HEADER_SIZE + LCFS_DIGEST_SIZE == 36);
}

TEST_CASE("composefs header encodes at fixed offsets", "[format]") {
  lcfs_erofs_header_s h{};
  h.magic = LCFS_EROFS_MAGIC;
  h.version = LCFS_EROFS_VERSION;
  h.flags = LCFS_EROFS_FLAGS_HAS_ACL;
  h.composefs_version = 1;
  Bytes expect(32, 0);
  const uint8_t head[16] = {0x9a, 0x62, 0x78, 0xd0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0};
  std::copy(head, head + 16, expect.begin());
  CHECK(raw(h) == expect);
}

TEST_CASE("superblock fields land at the kernel offsets", "[format]") {
  erofs_super_block sb{};
  sb.magic = EROFS_SUPER_MAGIC_V1;
  sb.feature_compat = EROFS_FEATURE_COMPAT_MTIME | EROFS_FEATURE_COMPAT_XATTR_FILTER;
  sb.blkszbits = EROFS_BLKSIZ_BITS;
  sb.root_nid = 36;
  sb.inos = 257;
  sb.build_time = 0x1122334455667788ull;
  sb.build_time_nsec = 500000000;
  sb.blocks = 4;
  sb.xattr_blkaddr = 2;
  sb.feature_incompat = 0xa5;
  sb.packed_nid = 0x99;
  const Bytes b = raw(sb);
  auto u16at = [&](size_t o) { return uint32_t(b[o] | b[o + 1] << 8); };
  auto u32at = [&](size_t o) { return uint32_t(b[o]) | uint32_t(b[o + 1]) << 8 | uint32_t(b[o + 2]) << 16 | uint32_t(b[o + 3]) << 24; };
  auto u64at = [&](size_t o) { return uint64_t(u32at(o)) | uint64_t(u32at(o + 4)) << 32; };
  CHECK(u32at(0x00) == 0xE0F5E1E2u);
  CHECK(u32at(0x04) == 0);
  CHECK(u32at(0x08) == 6);
  CHECK(b[0x0c] == 12);
  CHECK(b[0x0d] == 0);
  CHECK(u16at(0x0e) == 36);
  CHECK(u64at(0x10) == 257);
  CHECK(u64at(0x18) == 0x1122334455667788ull);
  CHECK(u32at(0x20) == 500000000);
  CHECK(u32at(0x24) == 4);
  CHECK(u32at(0x28) == 0);
  CHECK(u32at(0x2c) == 2);
  CHECK(u32at(0x50) == 0xa5);
  CHECK(u64at(0x60) == 0x99);
  CHECK(offsetof(erofs_super_block, inos) == 0x10);
  CHECK(offsetof(erofs_super_block, build_time) == 0x18);
  CHECK(offsetof(erofs_super_block, blocks) == 0x24);
  CHECK(offsetof(erofs_super_block, meta_blkaddr) == 0x28);
  CHECK(offsetof(erofs_super_block, uuid) == 0x30);
  CHECK(offsetof(erofs_super_block, volume_name) == 0x40);
  CHECK(offsetof(erofs_super_block, extra_devices) == 0x56);
  CHECK(offsetof(erofs_super_block, dirblkbits) == 0x5a);
  CHECK(offsetof(erofs_super_block, xattr_filter_reserved) == 0x68);
}

TEST_CASE("compact inode layout", "[format][inode]") {
  erofs_inode_compact c{};
  c.i_format = (EROFS_INODE_FLAT_INLINE << EROFS_I_DATALAYOUT_BIT) | EROFS_INODE_LAYOUT_COMPACT;
  c.i_xattr_icount = 0x0203;
  c.i_mode = 040755;
  c.i_nlink = 0x0405;
  c.i_size = 0x06070809;
  c.i_u = 0x0a0b0c0d;
  c.i_ino = 0x11121314;
  c.i_uid = 0x1516;
  c.i_gid = 0x1718;
  const Bytes expect{0x04, 0x00, 0x03, 0x02, 0xed, 0x41, 0x05, 0x04, 0x09, 0x08, 0x07, 0x06, 0, 0, 0, 0,
                     0x0d, 0x0c, 0x0b, 0x0a, 0x14, 0x13, 0x12, 0x11, 0x16, 0x15, 0x18, 0x17, 0, 0, 0, 0};
  CHECK(raw(c) == expect);
  CHECK(offsetof(erofs_inode_compact, i_u) == 0x10);
  CHECK(offsetof(erofs_inode_compact, i_uid) == 0x18);
}

TEST_CASE("extended inode layout", "[format][inode]") {
  erofs_inode_extended e{};
  e.i_format = (EROFS_INODE_CHUNK_BASED << EROFS_I_DATALAYOUT_BIT) | EROFS_INODE_LAYOUT_EXTENDED;
  e.i_mode = 0100644;
  e.i_size = 1ull << 53;
  e.i_u = 0x1f;
  e.i_ino = 7;
  e.i_uid = 65536;
  e.i_gid = 0xfffffffe;
  e.i_mtime = static_cast<uint64_t>(int64_t{-2});
  e.i_mtime_nsec = 999999999;
  e.i_nlink = 65536;
  const Bytes b = raw(e);
  REQUIRE(b.size() == 64);
  CHECK(Bytes(b.begin(), b.begin() + 8) == Bytes{0x09, 0x00, 0x00, 0x00, 0xa4, 0x81, 0x00, 0x00});
  CHECK(Bytes(b.begin() + 8, b.begin() + 16) == Bytes{0, 0, 0, 0, 0, 0, 0x20, 0});
  CHECK(Bytes(b.begin() + 16, b.begin() + 24) == Bytes{0x1f, 0, 0, 0, 7, 0, 0, 0});
  CHECK(Bytes(b.begin() + 24, b.begin() + 32) == Bytes{0, 0, 1, 0, 0xfe, 0xff, 0xff, 0xff});
  CHECK(Bytes(b.begin() + 32, b.begin() + 40) == Bytes{0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
  CHECK(Bytes(b.begin() + 40, b.begin() + 48) == Bytes{0xff, 0xc9, 0x9a, 0x3b, 0, 0, 1, 0});
  CHECK(Bytes(b.begin() + 48, b.end()) == Bytes(16, 0));
  CHECK(offsetof(erofs_inode_extended, i_mtime_nsec) == 0x28);
  CHECK(offsetof(erofs_inode_extended, i_nlink) == 0x2c);
}

TEST_CASE("i_format values for each layout", "[format][inode]") {
  auto fmt = [](uint16_t layout, uint16_t ver) { return uint16_t(layout << EROFS_I_DATALAYOUT_BIT | ver); };
  CHECK(fmt(EROFS_INODE_FLAT_PLAIN, 0) == 0x0);
  CHECK(fmt(EROFS_INODE_FLAT_INLINE, 0) == 0x4);
  CHECK(fmt(EROFS_INODE_CHUNK_BASED, 0) == 0x8);
  CHECK(fmt(EROFS_INODE_FLAT_PLAIN, 1) == 0x1);
  CHECK(fmt(EROFS_INODE_FLAT_INLINE, 1) == 0x5);
  CHECK(fmt(EROFS_INODE_CHUNK_BASED, 1) == 0x9);
  CHECK(((0x9 >> EROFS_I_DATALAYOUT_BIT) & EROFS_I_DATALAYOUT_MASK) == EROFS_INODE_CHUNK_BASED);
  CHECK((0x9 & EROFS_I_VERSION_MASK) == EROFS_INODE_LAYOUT_EXTENDED);
}

TEST_CASE("dirent, xattr entry and xattr header encodings", "[format]") {
  erofs_dirent d{};
  d.nid = 36;
  d.nameoff = 3096;
  d.file_type = EROFS_FT_DIR;
  CHECK(raw(d) == Bytes{36, 0, 0, 0, 0, 0, 0, 0, 0x18, 0x0c, 2, 0});

  erofs_xattr_entry x{};
  x.e_name_len = 6;
  x.e_name_index = EROFS_XATTR_INDEX_TRUSTED;
  x.e_value_size = 0x0102;
  CHECK(raw(x) == Bytes{6, 4, 0x02, 0x01});

  erofs_xattr_ibody_header h{};
  h.h_name_filter = 0xffefffffu;
  h.h_shared_count = 128;
  CHECK(raw(h) == Bytes{0xff, 0xff, 0xef, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0});

  erofs_inode_chunk_index ci{};
  ci.blkaddr = EROFS_NULL_ADDR;
  CHECK(raw(ci) == Bytes{0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff});
}

TEST_CASE("file type and xattr index constants", "[format]") {
  CHECK(EROFS_FT_REG_FILE == 1);
  CHECK(EROFS_FT_DIR == 2);
  CHECK(EROFS_FT_CHRDEV == 3);
  CHECK(EROFS_FT_BLKDEV == 4);
  CHECK(EROFS_FT_FIFO == 5);
  CHECK(EROFS_FT_SOCK == 6);
  CHECK(EROFS_FT_SYMLINK == 7);
  CHECK(EROFS_XATTR_INDEX_USER == 1);
  CHECK(EROFS_XATTR_INDEX_POSIX_ACL_ACCESS == 2);
  CHECK(EROFS_XATTR_INDEX_POSIX_ACL_DEFAULT == 3);
  CHECK(EROFS_XATTR_INDEX_TRUSTED == 4);
  CHECK(EROFS_XATTR_INDEX_SECURITY == 6);
  CHECK(EROFS_XATTR_FILTER_SEED == 0x25BBE08Fu);
  CHECK(EROFS_SUPER_OFFSET == 1024);
  CHECK(EROFS_BLKSIZ == 4096);
  CHECK(EROFS_SLOTSIZE == 32);
  CHECK(LCFS_INODE_EXTERNAL_XATTR_MAX == 32767);
}

TEST_CASE("xattr_ibody_size follows the kernel rule", "[format]") {
  CHECK(xattr_ibody_size(0) == 0);
  CHECK(xattr_ibody_size(1) == 12);
  CHECK(xattr_ibody_size(2) == 16);
  CHECK(xattr_ibody_size(5) == 28);
  CHECK(xattr_ibody_size(0xffff) == 12 + 0xfffeull * 4);
  STATIC_REQUIRE(xattr_ibody_size(3) == 20);
  // Inverse of the writer's icount = (area - 12) / 4 + 1 for 4-aligned areas.
  for (uint64_t area = 12; area < 400; area += 4) {
    auto icount = static_cast<uint16_t>((area - 12) / 4 + 1);
    CHECK(xattr_ibody_size(icount) == area);
  }
}

TEST_CASE("metacopy value layout", "[format]") {
  ovl_metacopy m{0, OVL_METACOPY_HEADER_SIZE + LCFS_DIGEST_SIZE, 0, 1, {}};
  for (size_t i = 0; i < LCFS_DIGEST_SIZE; ++i) m.digest[i] = static_cast<uint8_t>(i);
  const Bytes b = raw(m);
  CHECK(Bytes(b.begin(), b.begin() + 4) == Bytes{0x00, 0x24, 0x00, 0x01});
  CHECK(b[4] == 0);
  CHECK(b[35] == 31);
  CHECK(OVERLAY_XATTR_ESCAPE_PREFIX.starts_with(OVERLAY_XATTR_PREFIX));
  CHECK(OVERLAY_XATTR_OPAQUE == "trusted.overlay.opaque");
}
