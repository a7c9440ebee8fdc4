// Little-endian integers stored as bytes: alignment 1, no padding, memcpy access.
// On-disk structs are built only from these and u8 arrays, so their layout is the
// same on every host and reading one from untrusted bytes is a plain memcpy.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace cfs::format {

template <typename T>
class LittleEndian {
  static_assert(std::is_unsigned_v<T>);

 public:
  constexpr LittleEndian() = default;
  constexpr LittleEndian(T v) { store(v); }  // NOLINT: implicit on purpose
  constexpr LittleEndian& operator=(T v) {
    store(v);
    return *this;
  }
  constexpr operator T() const { return load(); }  // NOLINT
  constexpr T get() const { return load(); }

 private:
  constexpr void store(T v) {
    for (unsigned i = 0; i < sizeof(T); ++i) buf_[i] = static_cast<uint8_t>(v >> (8 * i));
  }
  constexpr T load() const {
    T v = 0;
    for (unsigned i = 0; i < sizeof(T); ++i) v |= static_cast<T>(static_cast<T>(buf_[i]) << (8 * i));
    return v;
  }
  uint8_t buf_[sizeof(T)] = {};
};

using le16 = LittleEndian<uint16_t>;
using le32 = LittleEndian<uint32_t>;
using le64 = LittleEndian<uint64_t>;

static_assert(sizeof(le64) == 8 && alignof(le64) == 1);

}  // namespace cfs::format
