#include "convert.hpp"

#include <deque>
#include <memory>
#include <unordered_map>
#include <utility>

namespace cfs::capi {
namespace {

bool is_bad_name(const std::string& name) {
  return name == "." || name == ".." || name.find('/') != std::string::npos;
}

struct PendingLink {
  tree::Node* entry;
  lcfs_node_s* source;
};

}  // namespace

void copy_inode_fields(const lcfs_node_s& from, tree::Tree& tree, tree::Node& to) {
  copy_inode_numbers(from, to);
  if (from.payload) to.payload = tree.keep(*from.payload);
  to.content = tree.keep(from.content);
  to.digest = from.digest ? tree.keep(*from.digest) : nullptr;
  to.xattrs.clear();
  for (const auto& x : from.xattrs) to.xattrs.push_back(tree.keep_xattr(x.name, x.value));
}

void copy_inode_fields(const tree::Node& from, lcfs_node_s& to) {
  copy_inode_numbers(from, to);
  to.payload.reset();
  if (from.payload) to.payload = from.payload->str();
  to.content = from.content.str();
  to.digest.reset();
  if (from.digest) to.digest = *from.digest;
  to.xattrs.clear();
  for (const auto& x : from.xattrs) to.xattrs.push_back({x.name.str(), x.value.str()});
}

Result<tree::Tree> to_tree(lcfs_node_s* root) {
  if (root->link_to) return make_error(EINVAL, "the root is a hardlink");
  tree::Tree tree;
  std::unordered_map<const lcfs_node_s*, tree::Node*> inodes;
  std::vector<PendingLink> links;
  std::deque<std::pair<lcfs_node_s*, tree::Node*>> queue;

  tree.set_root(tree.new_node());
  queue.emplace_back(root, tree.root());
  while (!queue.empty()) {
    auto [node, out] = queue.front();
    queue.pop_front();
    if (node->link_to_invalid) return make_error(EINVAL, "hardlink cycle");
    if (!tree::is_valid_file_type(node->mode)) return make_error(EINVAL, "invalid file type");
    if (!node->is_dir() && !node->children.empty()) return make_error(EINVAL, "children of a non-directory");
    copy_inode_fields(*node, tree, *out);
    inodes.emplace(node, out);
    out->children.reserve(node->children.size());
    for (lcfs_node_s* child : node->children) {
      if (is_bad_name(*child->name)) return make_error(EINVAL, "invalid name");
      tree::Node* entry = tree.new_node();
      entry->name = tree.keep(*child->name);
      entry->parent = out;
      out->children.push_back(entry);
      if (child->link_to) {
        if (child->link_to_invalid) return make_error(EINVAL, "hardlink cycle");
        links.push_back({entry, child});
      } else {
        queue.emplace_back(child, entry);
      }
    }
  }
  // Every hardlink must end at an inode of this tree.
  for (const PendingLink& link : links) {
    lcfs_node_s* target = follow_links(link.source);
    if (!target) return make_error(ELOOP, "hardlink cycle");
    auto it = inodes.find(target);
    if (it == inodes.end()) return make_error(EINVAL, "hardlink to a node outside the tree");
    link.entry->link_to = it->second;
  }
  return tree;
}

namespace {

lcfs_node_s* new_inode_node(const tree::Node& from) {
  auto node = std::make_unique<lcfs_node_s>();
  copy_inode_fields(from, *node);
  // C's loader adds xattrs one by one with its internal budget; replay its
  // space estimate so later set_xattr calls fail exactly where C's would.
  for (size_t i = 0; i < from.xattrs.size(); i++)
    node->xattr_size += xattr_space_estimate(from.xattrs[i].name.size(), from.xattrs[i].value.size(), i == 0);
  return node.release();
}

// Adds the copies of `dir`'s children to `out`, recursively. Children are in
// name order already, so each insertion is an append.
void attach_children(const tree::Node& dir, lcfs_node_s* out,
                     std::unordered_map<const tree::Node*, lcfs_node_s*>& made) {
  for (const tree::Node* child : dir.children) {
    lcfs_node_s* copy;
    if (child->link_to) {
      copy = new lcfs_node_s();
      copy->link_to = lcfs_node_ref(made.at(child->link_to));
    } else {
      copy = made.at(child);
    }
    out->children.push_back(copy);
    copy->name = child->name.str();
    copy->parent = out;
    if (!child->link_to) attach_children(*child, copy, made);
  }
}

}  // namespace

lcfs_node_s* from_tree(const tree::Tree& tree) {
  std::unordered_map<const tree::Node*, lcfs_node_s*> made;
  std::vector<const tree::Node*> stack{tree.root()};
  lcfs_node_s* root = nullptr;
  try {
    // First every inode, so hardlink entries can point at any of them.
    while (!stack.empty()) {
      const tree::Node* n = stack.back();
      stack.pop_back();
      made.emplace(n, new_inode_node(*n));
      for (const tree::Node* c : n->children)
        if (!c->link_to) stack.push_back(c);
    }
    root = made.at(tree.root());
    attach_children(*tree.root(), root, made);
    return root;
  } catch (...) {
    // Nodes not yet attached have no parent; free them one by one, then the root.
    for (auto& [tn, node] : made)
      if (node != root && !node->parent) lcfs_node_unref(node);
    if (root) lcfs_node_unref(root);
    throw;
  }
}

}  // namespace cfs::capi
