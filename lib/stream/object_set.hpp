// The distinct object paths of one or more images, held compactly: a path of the
// usual shape "xx/" + hex digits (what the writer makes of a digest, lower-case)
// is kept as its 32 or 64 digest bytes, anything else as a string. Memory: 32
// bytes per distinct SHA-256 object (64 for SHA-512), at most twice that while a
// vector grows; repeats are folded away whenever a vector fills up.
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
  std::vector<std::array<uint8_t, 32>> sha256_;
  std::vector<std::array<uint8_t, 64>> sha512_;
  std::vector<std::string> other_;
};

}  // namespace cfs::stream
