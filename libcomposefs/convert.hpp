// C API nodes <-> cfs::tree::Tree, the model the writer, reader and scanner use.
#pragma once

#include "node.hpp"
#include "tree/tree.hpp"
#include "util/result.hpp"

namespace cfs::capi {

/// The tree under `root` (root's own name and parent are ignored), checked as
/// composefs-c checks a tree before writing it: valid file types, children only
/// in directories, hardlinks that end inside the tree without a cycle. Beyond C,
/// names "." and "..", or holding '/', are refused (EINVAL): they would make a
/// corrupt image. The nodes are not modified.
Result<tree::Tree> to_tree(lcfs_node_s* root);

/// New nodes for `tree`, as C's image loader builds them: hardlink entries are
/// bare nodes whose link_to is the target. Returns the root with one reference.
lcfs_node_s* from_tree(const tree::Tree& tree);

}  // namespace cfs::capi
