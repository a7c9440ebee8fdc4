#include "tree/tree.hpp"

#include <algorithm>

namespace cfs::tree {

const Xattr* Node::find_xattr(std::string_view xattr_name) const {
  for (const auto& x : xattrs)
    if (x.name == xattr_name) return &x;
  return nullptr;
}

std::optional<Xattr> Node::set_xattr(Str xattr_name, Str value) {
  std::optional<Xattr> replaced;
  auto it = std::find_if(xattrs.begin(), xattrs.end(), [&](const Xattr& x) { return x.name == xattr_name; });
  if (it != xattrs.end()) {
    replaced = *it;
    if (it != xattrs.end() - 1) *it = xattrs.back();
    xattrs.pop_back();
  }
  xattrs.push_back({xattr_name, value});
  return replaced;
}

bool is_valid_file_type(uint32_t mode) {
  switch (mode & S_IFMT) {
    case S_IFREG: case S_IFDIR: case S_IFLNK: case S_IFBLK:
    case S_IFCHR: case S_IFSOCK: case S_IFIFO:
      return true;
    default:
      return false;
  }
}

// string_view compares bytes as unsigned char, which is strcmp order for NUL-free names.
static bool name_less(const Node* a, const Node* b) { return a->name < b->name; }

void Tree::sort_children() {
  for (auto& node : nodes_)
    if (node.children.size() > 1 && !std::is_sorted(node.children.begin(), node.children.end(), name_less))
      std::sort(node.children.begin(), node.children.end(), name_less);
}

Node* Tree::lookup_child(const Node& dir, std::string_view name) {
  auto it = std::lower_bound(dir.children.begin(), dir.children.end(), name,
                             [](const Node* n, std::string_view key) { return n->name < key; });
  return (it != dir.children.end() && (*it)->name == name) ? *it : nullptr;
}

std::optional<format::HashAlg> Tree::digest_alg() const {
  for (const auto& node : nodes_)
    if (node.digest) return node.digest->alg();
  return std::nullopt;
}

std::string Tree::path_of(const Node& node) {
  if (!node.parent) return "/";
  std::vector<const Node*> chain;
  for (const Node* n = &node; n->parent; n = n->parent) chain.push_back(n);
  std::string path;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) path.append("/").append((*it)->name);
  return path;
}

}  // namespace cfs::tree
