// EROFS on-disk structures as composefs uses them (the 128-byte superblock of the
// kernel's erofs_fs.h as composefs-c 1.0.8 ships it). Field names follow the kernel
// header so a byte mismatch can be grepped in both.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "format/le.hpp"

namespace cfs::format {

inline constexpr uint32_t EROFS_SUPER_MAGIC_V1 = 0xE0F5E1E2;
inline constexpr uint64_t EROFS_SUPER_OFFSET = 1024;  // superblock position in the image
inline constexpr unsigned EROFS_BLKSIZ_BITS = 12;
inline constexpr uint64_t EROFS_BLKSIZ = 4096;
inline constexpr uint64_t EROFS_SLOTSIZE = 32;        // nid unit: inode offset / 32
inline constexpr uint32_t EROFS_NULL_ADDR = 0xffffffff;  // chunk index with no block

inline constexpr uint32_t EROFS_FEATURE_COMPAT_SB_CHKSUM = 0x1;
inline constexpr uint32_t EROFS_FEATURE_COMPAT_MTIME = 0x2;
inline constexpr uint32_t EROFS_FEATURE_COMPAT_XATTR_FILTER = 0x4;
inline constexpr uint32_t EROFS_FEATURE_INCOMPAT_CHUNKED_FILE = 0x4;

// i_format: bit 0 = layout version (compact 0 / extended 1), bits 1-3 = data layout.
inline constexpr unsigned EROFS_I_VERSION_BIT = 0;
inline constexpr unsigned EROFS_I_DATALAYOUT_BIT = 1;
inline constexpr uint16_t EROFS_I_VERSION_MASK = 0x01;
inline constexpr uint16_t EROFS_I_DATALAYOUT_MASK = 0x07;
inline constexpr uint16_t EROFS_INODE_LAYOUT_COMPACT = 0;
inline constexpr uint16_t EROFS_INODE_LAYOUT_EXTENDED = 1;

enum : uint16_t {
  EROFS_INODE_FLAT_PLAIN = 0,        // data in whole blocks at i_u.raw_blkaddr
  EROFS_INODE_COMPRESSED_FULL = 1,   // never written by composefs
  EROFS_INODE_FLAT_INLINE = 2,       // whole blocks plus a tail right after the inode
  EROFS_INODE_COMPRESSED_COMPACT = 3,
  EROFS_INODE_CHUNK_BASED = 4,       // chunk index table after the inode
};

inline constexpr uint16_t EROFS_CHUNK_FORMAT_BLKBITS_MASK = 0x001F;  // chunk bits - 12
inline constexpr uint16_t EROFS_CHUNK_FORMAT_INDEXES = 0x0020;       // 8-byte indexes

// Directory entry file types.
enum : uint8_t {
  EROFS_FT_UNKNOWN = 0,
  EROFS_FT_REG_FILE = 1,
  EROFS_FT_DIR = 2,
  EROFS_FT_CHRDEV = 3,
  EROFS_FT_BLKDEV = 4,
  EROFS_FT_FIFO = 5,
  EROFS_FT_SOCK = 6,
  EROFS_FT_SYMLINK = 7,
};

/// Directory entry type of an inode mode (S_IF* bits).
constexpr uint8_t erofs_file_type(uint32_t mode) {
  switch (mode & 0170000) {
    case 0100000: return EROFS_FT_REG_FILE;
    case 0040000: return EROFS_FT_DIR;
    case 0020000: return EROFS_FT_CHRDEV;
    case 0060000: return EROFS_FT_BLKDEV;
    case 0010000: return EROFS_FT_FIFO;
    case 0140000: return EROFS_FT_SOCK;
    case 0120000: return EROFS_FT_SYMLINK;
    default: return EROFS_FT_UNKNOWN;
  }
}

// Xattr name prefix indexes (e_name_index).
enum : uint8_t {
  EROFS_XATTR_INDEX_USER = 1,
  EROFS_XATTR_INDEX_POSIX_ACL_ACCESS = 2,
  EROFS_XATTR_INDEX_POSIX_ACL_DEFAULT = 3,
  EROFS_XATTR_INDEX_TRUSTED = 4,
  EROFS_XATTR_INDEX_LUSTRE = 5,
  EROFS_XATTR_INDEX_SECURITY = 6,
};
inline constexpr uint8_t EROFS_XATTR_LONG_PREFIX = 0x80;       // also: max shared refs per inode
inline constexpr uint32_t EROFS_XATTR_FILTER_BITS = 32;
inline constexpr uint32_t EROFS_XATTR_FILTER_DEFAULT = 0xffffffff;
inline constexpr uint32_t EROFS_XATTR_FILTER_SEED = 0x25BBE08F;

struct erofs_super_block {
  le32 magic;                 // +0x00 EROFS_SUPER_MAGIC_V1
  le32 checksum;              // +0x04 crc32c of the block; composefs writes 0
  le32 feature_compat;        // +0x08 EROFS_FEATURE_COMPAT_*
  uint8_t blkszbits;          // +0x0c log2(block size): 12
  uint8_t sb_extslots;        // +0x0d superblock size = 128 + 16 * sb_extslots
  le16 root_nid;              // +0x0e nid of the root directory

  le64 inos;                  // +0x10 number of inodes
  le64 build_time;            // +0x18 seconds; mtime of every compact inode

  le32 build_time_nsec;       // +0x20 nanoseconds of build_time
  le32 blocks;                // +0x24 total blocks in the image
  le32 meta_blkaddr;          // +0x28 block where nid 0 starts
  le32 xattr_blkaddr;         // +0x2c block the shared-xattr ids count from

  uint8_t uuid[16];           // +0x30 volume uuid (unused: zero)
  uint8_t volume_name[16];    // +0x40 volume name (unused: zero)

  le32 feature_incompat;      // +0x50 EROFS_FEATURE_INCOMPAT_*
  le16 available_compr_algs;  // +0x54 union u1: compression bitmap / lz4_max_distance
  le16 extra_devices;         // +0x56 devices besides the primary one
  le16 devt_slotoff;          // +0x58 device table start / 128
  uint8_t dirblkbits;         // +0x5a directory block size shift (0 = block size)
  uint8_t xattr_prefix_count; // +0x5b long xattr name prefixes
  le32 xattr_prefix_start;    // +0x5c where those prefixes start
  le64 packed_nid;            // +0x60 nid of the packed inode
  uint8_t xattr_filter_reserved;  // +0x68 must be 0 for the name filter to be used
  uint8_t reserved2[23];      // +0x69
};
static_assert(sizeof(erofs_super_block) == 128);
static_assert(offsetof(erofs_super_block, root_nid) == 0x0e);
static_assert(offsetof(erofs_super_block, build_time_nsec) == 0x20);
static_assert(offsetof(erofs_super_block, xattr_blkaddr) == 0x2c);
static_assert(offsetof(erofs_super_block, feature_incompat) == 0x50);
static_assert(offsetof(erofs_super_block, packed_nid) == 0x60);

// i_u: what the inode's 4-byte union means depends on type and layout.
//  - flat layouts: raw_blkaddr, first data block
//  - devices: rdev (glibc dev_t encoding, truncated to 32 bits)
//  - chunk based: low 16 bits = chunk format, high 16 bits reserved

struct erofs_inode_compact {
  le16 i_format;        // +0x00 layout version bit + data layout
  le16 i_xattr_icount;  // +0x02 xattr area size in 4-byte units (see xattr_icount)
  le16 i_mode;          // +0x04 type and permission bits
  le16 i_nlink;         // +0x06 link count
  le32 i_size;          // +0x08 file size
  le32 i_reserved;      // +0x0c zero
  le32 i_u;             // +0x10 raw_blkaddr / rdev / chunk format
  le32 i_ino;           // +0x14 inode number (BFS index)
  le16 i_uid;           // +0x18 owner
  le16 i_gid;           // +0x1a group
  le32 i_reserved2;     // +0x1c zero
};
static_assert(sizeof(erofs_inode_compact) == 32);

struct erofs_inode_extended {
  le16 i_format;        // +0x00 layout version bit + data layout
  le16 i_xattr_icount;  // +0x02 xattr area size in 4-byte units
  le16 i_mode;          // +0x04 type and permission bits
  le16 i_reserved;      // +0x06 zero
  le64 i_size;          // +0x08 file size

  le32 i_u;             // +0x10 raw_blkaddr / rdev / chunk format
  le32 i_ino;           // +0x14 inode number (BFS index)
  le32 i_uid;           // +0x18 owner
  le32 i_gid;           // +0x1c group

  le64 i_mtime;         // +0x20 seconds (signed value stored as u64)
  le32 i_mtime_nsec;    // +0x28 nanoseconds
  le32 i_nlink;         // +0x2c link count

  uint8_t i_reserved2[16];  // +0x30 zero
};
static_assert(sizeof(erofs_inode_extended) == 64);
static_assert(offsetof(erofs_inode_extended, i_mtime) == 0x20);

struct erofs_xattr_ibody_header {
  le32 h_name_filter;       // +0x00 bloom filter, complemented (bit set = name absent)
  uint8_t h_shared_count;   // +0x04 number of shared-xattr ids that follow
  uint8_t h_reserved2[7];   // +0x05 zero
};
static_assert(sizeof(erofs_xattr_ibody_header) == 12);

struct erofs_xattr_entry {
  uint8_t e_name_len;    // +0x00 length of the name suffix
  uint8_t e_name_index;  // +0x01 EROFS_XATTR_INDEX_* prefix (0: full name stored)
  le16 e_value_size;     // +0x02 value length; name then value follow, padded to 4
};
static_assert(sizeof(erofs_xattr_entry) == 4);

struct erofs_dirent {
  le64 nid;              // +0x00 nid of the target inode
  le16 nameoff;          // +0x08 offset of the name from the start of the block
  uint8_t file_type;     // +0x0a EROFS_FT_*
  uint8_t reserved;      // +0x0b zero
};
static_assert(sizeof(erofs_dirent) == 12);

struct erofs_inode_chunk_index {
  le16 advise;           // +0x00 unused here
  le16 device_id;        // +0x02 back-end device
  le32 blkaddr;          // +0x04 start block
};
static_assert(sizeof(erofs_inode_chunk_index) == 8);

/// Size in bytes of an inode's xattr area given i_xattr_icount (kernel rule).
constexpr uint64_t xattr_ibody_size(uint16_t icount) {
  return icount == 0 ? 0 : sizeof(erofs_xattr_ibody_header) + (uint64_t(icount) - 1) * 4;
}

template <class T>
inline constexpr bool is_ondisk_v =
    std::is_trivially_copyable_v<T> && std::has_unique_object_representations_v<T> &&
    alignof(T) == 1;
static_assert(is_ondisk_v<erofs_super_block> && is_ondisk_v<erofs_inode_compact> &&
              is_ondisk_v<erofs_inode_extended> && is_ondisk_v<erofs_dirent> &&
              is_ondisk_v<erofs_xattr_entry> && is_ondisk_v<erofs_xattr_ibody_header>);

}  // namespace cfs::format
