// Node lifecycle and tree structure: new/ref/unref, clones, children, hardlinks.
#include <cstring>
#include <memory>
#include <unordered_map>

#include "node.hpp"

using cfs::capi::fail;
using cfs::capi::guarded;

namespace {

constexpr size_t kMaxNameLength = 255;  // C: LCFS_MAX_NAME_LENGTH

void destroy(lcfs_node_s* node);

// Detaches every child and destroys it. As in C, a child somebody else still
// holds a reference to survives, but without its own children: destruction
// goes all the way down, which is what breaks "." / ".." style cycles.
void remove_all_children(lcfs_node_s* node) {
  for (lcfs_node_s* child : node->children) {
    child->name.reset();
    child->parent = nullptr;
    destroy(child);
  }
  node->children.clear();
}

void destroy(lcfs_node_s* node) {
  remove_all_children(node);
  lcfs_node_unref(node);
}

// Index of the first child whose name is >= name.
size_t lower_bound_child(const lcfs_node_s* dir, const char* name) {
  size_t lo = 0, hi = dir->children.size();
  // Names usually arrive in order: look at the end first.
  if (hi > 0 && std::strcmp(name, dir->children[hi - 1]->name->c_str()) > 0) return hi;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (std::strcmp(dir->children[mid]->name->c_str(), name) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

lcfs_node_s* clone_subtree(lcfs_node_s* node, std::unordered_map<lcfs_node_s*, lcfs_node_s*>& copies) {
  lcfs_node_s* copy = lcfs_node_clone(node);
  if (!copy) return nullptr;
  copies.emplace(node, copy);
  for (lcfs_node_s* child : node->children) {
    lcfs_node_s* child_copy = clone_subtree(child, copies);
    if (!child_copy || lcfs_node_add_child(copy, child_copy, child->name->c_str()) < 0) {
      int saved = errno;
      if (child_copy) lcfs_node_unref(child_copy);
      destroy(copy);
      errno = saved;
      return nullptr;
    }
  }
  return copy;
}

// Points hardlinks of the copy at the copies of their targets; links to nodes
// outside the cloned subtree keep pointing at the originals, as in C.
void retarget_links(lcfs_node_s* node, const std::unordered_map<lcfs_node_s*, lcfs_node_s*>& copies) {
  for (lcfs_node_s* child : node->children) retarget_links(child, copies);
  if (!node->link_to) return;
  auto it = copies.find(node->link_to);
  if (it == copies.end()) return;
  lcfs_node_unref(node->link_to);
  node->link_to = lcfs_node_ref(it->second);
}

}  // namespace

namespace cfs::capi {

// Floyd's cycle detection: no allocation, so it is safe where nothing may throw.
lcfs_node_s* follow_links(lcfs_node_s* node) {
  lcfs_node_s* slow = node;
  lcfs_node_s* fast = node;
  while (fast->link_to && fast->link_to->link_to) {
    slow = slow->link_to;
    fast = fast->link_to->link_to;
    if (slow == fast) {
      errno = ELOOP;
      return nullptr;
    }
  }
  return fast->link_to ? fast->link_to : fast;
}

}  // namespace cfs::capi

extern "C" {

lcfs_node_s* lcfs_node_new(void) {
  return guarded<lcfs_node_s*>(nullptr, [] { return new lcfs_node_s(); });
}

lcfs_node_s* lcfs_node_ref(lcfs_node_s* node) {
  if (node) node->ref_count++;
  return node;
}

void lcfs_node_unref(lcfs_node_s* node) {
  if (!node || --node->ref_count > 0) return;
  remove_all_children(node);
  if (node->link_to) lcfs_node_unref(node->link_to);
  delete node;
}

lcfs_node_s* lcfs_node_clone(lcfs_node_s* node) {
  if (!node) return errno = EINVAL, nullptr;
  return guarded<lcfs_node_s*>(nullptr, [node] {
    auto copy = std::make_unique<lcfs_node_s>();
    // Data only: no name, parent, children, and (as in C) not the xattr space
    // estimate, which starts again from zero on the copy.
    cfs::capi::copy_inode_fields(*node, *copy);
    copy->link_to = lcfs_node_ref(node->link_to);
    return copy.release();
  });
}

lcfs_node_s* lcfs_node_clone_deep(lcfs_node_s* node) {
  if (!node) return errno = EINVAL, nullptr;
  return guarded<lcfs_node_s*>(nullptr, [node] {
    std::unordered_map<lcfs_node_s*, lcfs_node_s*> copies;
    lcfs_node_s* copy = clone_subtree(node, copies);
    if (copy) retarget_links(copy, copies);
    return copy;
  });
}

lcfs_node_s* lcfs_node_lookup_child(lcfs_node_s* node, const char* name) {
  if (!node || !name) return nullptr;
  size_t pos = lower_bound_child(node, name);
  if (pos < node->children.size() && *node->children[pos]->name == name) return node->children[pos];
  return nullptr;
}

lcfs_node_s* lcfs_node_get_parent(lcfs_node_s* node) { return node ? node->parent : nullptr; }

int lcfs_node_add_child(lcfs_node_s* parent, lcfs_node_s* child, const char* name) {
  if (!parent || !child || !name || child == parent) return fail(EINVAL);
  if (!parent->is_dir()) return fail(ENOTDIR);
  size_t len = std::strlen(name);
  if (len == 0) return fail(EINVAL);
  if (len > kMaxNameLength) return fail(ENAMETOOLONG);
  if (child->name) return fail(EMLINK);  // a node has one parent
  return guarded<int>(-1, [&] {
    size_t pos = lower_bound_child(parent, name);
    if (pos < parent->children.size() && *parent->children[pos]->name == name) return fail(EEXIST);
    parent->children.insert(parent->children.begin() + pos, child);
    child->name.emplace(name, len);
    child->parent = parent;
    return 0;
  });
}

const char* lcfs_node_get_name(lcfs_node_s* node) {
  return node && node->name ? node->name->c_str() : nullptr;
}

size_t lcfs_node_get_n_children(lcfs_node_s* node) { return node ? node->children.size() : 0; }

lcfs_node_s* lcfs_node_get_child(lcfs_node_s* node, size_t i) {
  return node && i < node->children.size() ? node->children[i] : nullptr;
}

void lcfs_node_make_hardlink(lcfs_node_s* node, lcfs_node_s* target) {
  if (!node || !target) return;
  // No error return: a self link or a cycle marks the node, and writing fails.
  if (node == target || !cfs::capi::follow_links(target)) {
    node->link_to_invalid = true;
    return;
  }
  lcfs_node_s* old = node->link_to;
  node->link_to = lcfs_node_ref(target);
  node->link_to_invalid = false;
  target->nlink++;
  if (old) lcfs_node_unref(old);
}

lcfs_node_s* lcfs_node_get_hardlink_target(lcfs_node_s* node) { return node ? node->link_to : nullptr; }

}  // extern "C"
