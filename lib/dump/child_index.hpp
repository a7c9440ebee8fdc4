// The dump parser's (directory, name) -> child lookup.
//
// Dumps usually list a directory's entries in name order (composefs-info dump
// does), so a directory whose children arrived in order is searched by bisecting
// its children vector, and an appended name that sorts after the last one cannot
// be a duplicate. Only directories that received a child out of order are put in
// a hash table: open addressing over one vector of (node, hash) slots.
#pragma once

#include <functional>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "tree/tree.hpp"

namespace cfs::dump {

class ChildIndex {
 public:
  /// The child of `parent` named `name`, or nullptr.
  tree::Node* find(const tree::Node* parent, std::string_view name) const {
    if (!is_unsorted(parent)) return tree::Tree::lookup_child(*parent, name);
    const uint64_t h = hash(parent, name);
    for (size_t i = h & mask();; i = (i + 1) & mask()) {
      const Slot& s = slots_[i];
      if (!s.node) return nullptr;
      if (s.hash == h && s.node->parent == parent && s.node->name == name) return s.node;
    }
  }

  /// Appends `child` (parent and name set) to its parent's children, unless the
  /// parent has a child of that name already: false then, and nothing changes.
  bool add(tree::Node* child) {
    tree::Node* parent = child->parent;
    auto& kids = parent->children;
    if (!is_unsorted(parent)) {
      if (kids.empty() || kids.back()->name < child->name) {
        kids.push_back(child);
        return true;
      }
      unsorted_.insert(parent);
      for (tree::Node* k : kids) insert(k);
    }
    if (find(parent, child->name)) return false;
    kids.push_back(child);
    insert(child);
    return true;
  }

  /// Frees the tables (the children vectors stay; they are the tree's).
  void clear() {
    std::vector<Slot>().swap(slots_);
    std::unordered_set<const tree::Node*>().swap(unsorted_);
    used_ = 0;
  }

 private:
  struct Slot {
    tree::Node* node = nullptr;
    uint64_t hash = 0;
  };
  bool is_unsorted(const tree::Node* dir) const { return !unsorted_.empty() && unsorted_.contains(dir); }
  static uint64_t hash(const tree::Node* parent, std::string_view name) {
    return std::hash<std::string_view>{}(name) ^ (reinterpret_cast<uintptr_t>(parent) * 0x9e3779b97f4a7c15ULL);
  }
  size_t mask() const { return slots_.size() - 1; }
  void insert(tree::Node* child) {
    if ((used_ + 1) * 2 > slots_.size()) grow();
    place({child, hash(child->parent, child->name)});
    ++used_;
  }
  void place(Slot slot) {
    size_t i = slot.hash & mask();
    while (slots_[i].node) i = (i + 1) & mask();
    slots_[i] = slot;
  }
  void grow() {
    std::vector<Slot> old(std::max<size_t>(1024, slots_.size() * 2));
    old.swap(slots_);
    for (const Slot& s : old)
      if (s.node) place(s);
  }
  std::vector<Slot> slots_;                         // a power of two in size, at most half full
  size_t used_ = 0;
  std::unordered_set<const tree::Node*> unsorted_;  // directories whose children are hashed
};

}  // namespace cfs::dump
