#include "util/arena.hpp"

#include <cstring>

namespace cfs::util {

void* Arena::allocate(size_t size, size_t align) {
  if (size > kChunk / 4) {  // a long string: a block of its own, the current chunk stays
    reserved_ += size;
    return blocks_.emplace_back(std::make_unique_for_overwrite<char[]>(size)).get();
  }
  size_t start = (used_ + align - 1) & ~(align - 1);
  if (start + size > kChunk) {
    current_ = blocks_.emplace_back(std::make_unique_for_overwrite<char[]>(kChunk)).get();
    reserved_ += kChunk;
    start = 0;
  }
  used_ = start + size;
  return current_ + start;
}

Str Arena::keep(std::initializer_list<std::string_view> parts) {
  size_t total = 0;
  for (std::string_view p : parts) total += p.size();
  if (total == 0) return {};
  char* out = static_cast<char*>(allocate(total, 1));
  size_t at = 0;
  for (std::string_view p : parts) {
    if (!p.empty()) std::memcpy(out + at, p.data(), p.size());
    at += p.size();
  }
  return Str(out, total);
}

Str SharedArena::keep(std::initializer_list<std::string_view> parts) {
  std::lock_guard lock(mutex_);
  return arena_.keep(parts);
}

Str SharedArena::intern(std::string_view s) {
  std::lock_guard lock(mutex_);
  if (auto it = interned_.find(s); it != interned_.end()) return Str(it->data(), it->size());
  Str kept = arena_.keep(s);
  interned_.insert(kept.view());
  return kept;
}

}  // namespace cfs::util
