// The dump parser's (directory, name) -> child lookup: open addressing over one
// vector of (node, hash) slots. The node-based std::unordered_map it replaces spent
// a sixth of a million-entry parse chasing pointers and allocating nodes.
#pragma once

#include <functional>
#include <string_view>
#include <vector>

#include "tree/tree.hpp"

namespace cfs::dump {

class ChildIndex {
 public:
  /// The child of `parent` named `name`, or nullptr.
  tree::Node* find(const tree::Node* parent, std::string_view name) const {
    const uint64_t h = hash(parent, name);
    for (size_t i = h & mask();; i = (i + 1) & mask()) {
      const Slot& s = slots_[i];
      if (!s.node) return nullptr;
      if (s.hash == h && s.node->parent == parent && s.node->name == name) return s.node;
    }
  }
  /// Adds `child` under its parent and name (which must not be present yet).
  void insert(tree::Node* child) {
    if ((used_ + 1) * 2 > slots_.size()) grow();
    place({child, hash(child->parent, child->name)});
    ++used_;
  }
  /// Frees the table.
  void clear() { std::vector<Slot>().swap(slots_); }

 private:
  struct Slot {
    tree::Node* node = nullptr;
    uint64_t hash = 0;
  };
  static uint64_t hash(const tree::Node* parent, std::string_view name) {
    return std::hash<std::string_view>{}(name) ^ (reinterpret_cast<uintptr_t>(parent) * 0x9e3779b97f4a7c15ULL);
  }
  size_t mask() const { return slots_.size() - 1; }
  void place(Slot slot) {
    size_t i = slot.hash & mask();
    while (slots_[i].node) i = (i + 1) & mask();
    slots_[i] = slot;
  }
  void grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    for (const Slot& s : old)
      if (s.node) place(s);
  }
  std::vector<Slot> slots_ = std::vector<Slot>(1024);  // a power of two, at most half full
  size_t used_ = 0;
};

}  // namespace cfs::dump
