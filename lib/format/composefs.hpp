// The composefs header at byte 0 of every image, and the overlayfs xattr names
// and payloads composefs writes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "format/digest.hpp"
#include "format/le.hpp"

namespace cfs::format {

inline constexpr uint32_t LCFS_EROFS_MAGIC = 0xd078629a;
inline constexpr uint32_t LCFS_EROFS_VERSION = 1;           // header layout version
inline constexpr uint32_t LCFS_EROFS_FLAGS_HAS_ACL = 0x1;   // some inode has a POSIX ACL
inline constexpr uint32_t LCFS_VERSION_MAX = 1;             // newest composefs format

struct lcfs_erofs_header_s {
  le32 magic;              // +0x00 LCFS_EROFS_MAGIC
  le32 version;            // +0x04 LCFS_EROFS_VERSION
  le32 flags;              // +0x08 LCFS_EROFS_FLAGS_*
  le32 composefs_version;  // +0x0c format version used (0 or 1)
  le32 unused[4];          // +0x10 zero
};
static_assert(sizeof(lcfs_erofs_header_s) == 32);

inline constexpr size_t LCFS_DIGEST_SIZE = 32;  // fs-verity SHA-256 digest
inline constexpr size_t LCFS_INLINE_CONTENT_MAX = 5000;  // dump CONTENT limit
inline constexpr size_t LCFS_RECOMMENDED_INLINE_CONTENT_MAX = 64;  // scanner inlines up to this
inline constexpr size_t LCFS_MAX_NAME_LENGTH = 255;
inline constexpr uint32_t LCFS_MAX_NONINLINE_CHUNKS = 1024;  // chunk table fits in one block
inline constexpr size_t LCFS_XATTR_HEADER_SIZE = 12;
inline constexpr size_t LCFS_INODE_XATTRMETA_SIZE = 4;
inline constexpr size_t LCFS_INODE_EXTERNAL_XATTR_MAX = 0xffff / 2;  // per-inode xattr budget
inline constexpr size_t LCFS_XATTR_NAME_MAX = 255;
inline constexpr size_t LCFS_XATTR_VALUE_MAX = 65535;
inline constexpr size_t PATH_MAX_LEN = 4096;  // payloads must be shorter

inline constexpr std::string_view OVERLAY_XATTR_PREFIX = "trusted.overlay.";
inline constexpr std::string_view OVERLAY_XATTR_ESCAPE_PREFIX = "trusted.overlay.overlay.";
inline constexpr std::string_view OVERLAY_XATTR_METACOPY = "trusted.overlay.metacopy";
inline constexpr std::string_view OVERLAY_XATTR_REDIRECT = "trusted.overlay.redirect";
inline constexpr std::string_view OVERLAY_XATTR_OPAQUE = "trusted.overlay.opaque";
inline constexpr std::string_view OVERLAY_XATTR_ESCAPED_WHITEOUT = "trusted.overlay.overlay.whiteout";
inline constexpr std::string_view OVERLAY_XATTR_ESCAPED_WHITEOUTS = "trusted.overlay.overlay.whiteouts";
inline constexpr std::string_view OVERLAY_XATTR_ESCAPED_OPAQUE = "trusted.overlay.overlay.opaque";
inline constexpr std::string_view OVERLAY_XATTR_USERXATTR_WHITEOUT = "user.overlay.whiteout";
inline constexpr std::string_view OVERLAY_XATTR_USERXATTR_WHITEOUTS = "user.overlay.whiteouts";
inline constexpr std::string_view OVERLAY_XATTR_USERXATTR_OPAQUE = "user.overlay.opaque";

// trusted.overlay.metacopy value when a digest is known (the kernel's struct
// ovl_metacopy): version, length, flags, hash algorithm, then the digest. Only
// `len` bytes are stored: 36 with a SHA-256 digest (composefs-c's only form), 68
// with a SHA-512 one.
struct ovl_metacopy {
  uint8_t version;     // +0 0
  uint8_t len;         // +1 OVL_METACOPY_HEADER_SIZE + digest size: 36 or 68
  uint8_t flags;       // +2 0
  uint8_t digest_algo; // +3 FS_VERITY_HASH_ALG_SHA256 = 1, FS_VERITY_HASH_ALG_SHA512 = 2
  uint8_t digest[kMaxDigestSize];  // +4 (FS_VERITY_MAX_DIGEST_SIZE)
};
static_assert(sizeof(ovl_metacopy) == 68);
inline constexpr size_t OVL_METACOPY_HEADER_SIZE = 4;

/// The digest a trusted.overlay.metacopy value carries, if any: the 36-byte form
/// is SHA-256 (C reads it whatever its algorithm byte says, and so do we); beyond
/// C, the 68-byte form with algorithm 2 is SHA-512. An empty value only marks the
/// file as metacopy.
inline std::optional<Digest> metacopy_digest(std::span<const uint8_t> value) {
  if (value.size() < OVL_METACOPY_HEADER_SIZE) return std::nullopt;
  auto alg = hash_of_size(value.size() - OVL_METACOPY_HEADER_SIZE);
  if (!alg || (*alg == HashAlg::sha512 && value[3] != static_cast<uint8_t>(HashAlg::sha512))) return std::nullopt;
  return Digest::from_bytes(value.subspan(OVL_METACOPY_HEADER_SIZE));
}

}  // namespace cfs::format
