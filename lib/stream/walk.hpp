// Streaming walk of a composefs image: every entry in the order composefs-info
// prints them (depth first, names in order, the root first), handed to a visitor
// one at a time. Nothing of the tree is held: memory is bounded by the depth, the
// largest directory, and one path per hardlinked inode.
//
// The walk accepts and refuses exactly the images erofs::read_image accepts and
// refuses, with the same messages (see lib/erofs/reader/reader.hpp for the
// hardening: bounds-checked reads through reader::Image only, depth capped at
// kMaxDirectoryDepth, an inode reached twice becomes a hardlink entry and is not
// descended into, the same decode budget). To get there without holding the tree
// it runs twice:
//   1. a checking pass: the full walk with every check and the budget, printing
//      nothing; it marks which inodes are reached more than once;
//   2. the visiting pass, which keeps the path of the first name of exactly those
//      inodes, for their later ("@" hardlink) names.
// So a corrupt image prints nothing, as with C, which loads the whole image first.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dump/entry.hpp"
#include "util/result.hpp"

namespace cfs::stream {

struct WalkOptions {
  /// Top-level names to visit (C: toplevel_entries); empty visits everything.
  std::vector<std::string> filter;
  /// The decode budget of erofs::ReadOptions::max_decoded_bytes (0: the same default).
  uint64_t max_decoded_bytes = 0;
  /// False when the visitor never looks at EntryView::xattrs (ls, objects): the
  /// visiting pass then skips building them.
  bool need_xattrs = true;
  /// Called every few hundred entries (e.g. to drop mapped pages); may be empty.
  std::function<void()> on_progress;
};

/// One visited entry.
struct WalkEntry {
  std::string_view path;                // "/" for the root, else "/a/b"
  const dump::EntryView& inode;         // for a hardlink: the inode of its first name
  const std::string_view* link_target;  // a later name of an inode: its first name's path
  bool is_root() const { return path == "/"; }
};

using Visitor = std::function<void(const WalkEntry&)>;

/// Walks `image` (a whole composefs image) and calls `visit` for each entry.
Result<void> walk_image(std::span<const uint8_t> image, const WalkOptions& options, const Visitor& visit);

}  // namespace cfs::stream
