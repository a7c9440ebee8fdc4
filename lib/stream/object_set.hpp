// The distinct object paths of one or more images, held compactly: a path of the
// usual shape "xx/" + hex digits (what the writer makes of a digest, lower-case),
// possibly followed by a suffix (the CentOS dumps name objects "xx/...62.file"),
// is kept as its 32 or 64 digest bytes and the index of its suffix in a small
// table; anything else as a string. Memory: 34 bytes per distinct SHA-256 object
// (66 for SHA-512), at most twice that while a vector grows; repeats are folded
// away whenever a vector fills up.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace cfs::stream {

class ObjectSet {
 public:
  void add(std::string_view path);
  /// Calls fn(path) once per distinct path, in strcmp order (composefs-info objects).
  void for_each_sorted(const std::function<void(std::string_view)>& fn);
  /// Bytes held by the set's vectors (capacity), for the memory bound.
  size_t memory_bytes() const;

 private:
  template <size_t N>
  struct Packed {
    std::array<uint8_t, N> digest;
    uint16_t suffix;  // index in suffixes_
  };
  static constexpr size_t kMaxSuffixes = 64;  // more distinct suffixes: kept as strings

  template <size_t N>
  bool add_packed(std::string_view path, std::vector<Packed<N>>& to);
  template <size_t N>
  void sort_packed(std::vector<Packed<N>>& v) const;
  template <size_t N>
  std::string unpack(const Packed<N>& p) const;

  std::vector<Packed<32>> sha256_;
  std::vector<Packed<64>> sha512_;
  std::vector<std::string> other_;
  std::vector<std::string> suffixes_;
  size_t last_suffix_ = 0;  // index of the suffix met last
};

}  // namespace cfs::stream
