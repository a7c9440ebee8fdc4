// One entry as composefs-info prints it: the fields of an inode, as views. The
// tree printers and the streaming walk (lib/stream) both format through these
// functions, so ls/dump lines have one formatting code path.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "format/digest.hpp"

namespace cfs::dump {

/// One xattr: full name ("user.foo") and raw value (may hold NULs).
struct XattrView {
  std::string_view name;
  std::string_view value;
};

/// The printed fields of one inode (what a tree::Node holds, as views).
struct EntryView {
  uint32_t mode = 0;
  uint32_t nlink = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint32_t rdev = 0;
  uint64_t size = 0;
  int64_t mtime_sec = 0;
  uint32_t mtime_nsec = 0;
  std::optional<std::string_view> payload;  // symlink target or backing path
  std::string_view content;                 // inline data; empty means none
  std::optional<format::Digest> digest;
  std::span<const XattrView> xattrs;        // in print order

  uint32_t type() const { return mode & 0170000; }
};

/// Appends the composefs-info ls line of `path` ("/a/b"). `hardlink`: a later name
/// of an inode already listed, which C prints as a bare path.
void append_ls_line(std::string& out, std::string_view path, const EntryView& entry, bool hardlink);

/// Appends the composefs-dump(5) line of `path` ("/" for the root). With
/// `hardlink_target` (the path of the inode's first name) the line is a hardlink
/// line: the inode's fields with "@" before the mode and the target as payload.
void append_dump_line(std::string& out, std::string_view path, const EntryView& entry,
                      const std::string_view* hardlink_target);

}  // namespace cfs::dump
