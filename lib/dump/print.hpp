// tree -> the text composefs-info prints (ls, dump, objects), byte for byte as
// composefs-c 1.0.8's tools/composefs-info.c.
#pragma once

#include <functional>
#include <set>
#include <string>

#include "tree/tree.hpp"

namespace cfs::dump {

/// Receives printed text in pieces; the printers call it whenever their buffer
/// grows past a few tens of KiB, and once at the end.
using TextSink = std::function<void(std::string_view)>;

/// composefs-info ls: one line per entry below the root, depth first in name order:
/// "PATH/\t" for directories, "PATH\t-> TARGET" for symlinks, "PATH\t@ PAYLOAD"
/// for regular files with a backing path, plain "PATH" otherwise (hardlinks too).
void print_ls(const tree::Node& root, const TextSink& out);

/// composefs-info dump: the composefs-dump(5) text of the tree, root first. A
/// hardlink entry prints its target's fields with "@" before the mode and the
/// target's path as payload; xattrs print in the node's order.
void print_dump(const tree::Node& root, const TextSink& out);

/// composefs-info objects: adds the payload of every regular file (not hardlink
/// entries) for which `keep(payload)` is true; `keep` may be empty (keep all).
/// The set's order (bytewise) is C's strcmp order; print each as "PAYLOAD\n", raw.
void collect_objects(const tree::Node& root, const std::function<bool(const std::string&)>& keep,
                     std::set<std::string>& objects);

}  // namespace cfs::dump
