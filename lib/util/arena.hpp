// Bytes that live as long as their owner, packed into large chunks, and Str, the
// view of such bytes that trees and writer plans hold instead of std::string.
//
// A million-entry tree made one heap block per name, payload and xattr, and the
// allocator's headers and first-touch faults took a third of the time and memory
// (doc/benchmarks.md, "Million-entry images"). An Arena hands out pieces of 256 KiB
// chunks; nothing is freed before the arena goes.
#pragma once

#include <compare>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace cfs::util {

class Arena;

/// A byte string kept by an Arena (or in static storage). Reads like a
/// std::string_view; made only by Arena::keep or Str::literal, never from a
/// std::string, so a temporary string cannot end up dangling inside a tree.
class Str {
 public:
  constexpr Str() = default;
  /// Bytes in static storage (a string literal or a constant).
  static constexpr Str literal(std::string_view s) { return Str(s.data(), s.size()); }

  constexpr std::string_view view() const { return {data_, size_}; }
  constexpr operator std::string_view() const { return view(); }  // NOLINT: reads as a view
  constexpr const char* data() const { return data_; }
  constexpr size_t size() const { return size_; }
  constexpr bool empty() const { return size_ == 0; }
  constexpr const char* begin() const { return data_; }
  constexpr const char* end() const { return data_ + size_; }
  std::string str() const { return std::string(view()); }

  friend constexpr bool operator==(Str a, Str b) { return a.view() == b.view(); }
  friend constexpr bool operator==(Str a, std::string_view b) { return a.view() == b; }
  friend constexpr std::strong_ordering operator<=>(Str a, Str b) { return a.view() <=> b.view(); }
  friend constexpr std::strong_ordering operator<=>(Str a, std::string_view b) { return a.view() <=> b; }

 private:
  friend class Arena;
  friend class SharedArena;
  constexpr Str(const char* data, size_t size) : data_(data), size_(static_cast<uint32_t>(size)) {}
  const char* data_ = "";
  uint32_t size_ = 0;  // every string a tree holds is below 4 GiB (xattr values: 64 KiB)
};

/// A bump allocator over 256 KiB chunks; long strings get a block of their own.
/// Not thread-safe (SharedArena is). Moving it keeps every Str valid.
class Arena {
 public:
  Arena() = default;
  Arena(Arena&&) noexcept = default;
  Arena& operator=(Arena&&) noexcept = default;

  /// A copy of the concatenation of `parts`.
  Str keep(std::initializer_list<std::string_view> parts);
  Str keep(std::string_view s) { return keep({s}); }
  /// Room for `size` bytes aligned to `align` (a power of two, at most 16).
  void* allocate(size_t size, size_t align);
  /// Bytes held in chunks (for tests and the memory caps).
  size_t bytes_reserved() const { return reserved_; }

 private:
  static constexpr size_t kChunk = 256 << 10;
  std::vector<std::unique_ptr<char[]>> blocks_;
  char* current_ = nullptr;
  size_t used_ = kChunk;
  size_t reserved_ = 0;
};

/// An Arena behind a mutex, with interning for strings that repeat (xattr names and
/// values: a tree holds a few distinct security.selinux labels a million times).
/// Scanner threads fill nodes concurrently, hence the lock.
class SharedArena {
 public:
  Str keep(std::initializer_list<std::string_view> parts);
  Str keep(std::string_view s) { return keep({s}); }
  /// The one copy of `s` this arena holds (made on first use).
  Str intern(std::string_view s);
  /// Room for a T, copied from `value`; lives as long as the arena. T must be
  /// trivially destructible (the arena never runs destructors).
  template <class T>
  const T* keep_value(const T& value) {
    static_assert(std::is_trivially_destructible_v<T> && alignof(T) <= 16);
    std::lock_guard lock(mutex_);
    return new (arena_.allocate(sizeof(T), alignof(T))) T(value);
  }

 private:
  std::mutex mutex_;
  Arena arena_;
  std::unordered_set<std::string_view> interned_;
};

}  // namespace cfs::util
