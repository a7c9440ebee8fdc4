// xxHash32 (Yann Collet's public algorithm), used by EROFS for the xattr name filter.
#pragma once

#include <cstdint>
#include <string_view>

namespace cfs {

/// 32-bit xxHash of `data` with `seed`.
uint32_t xxh32(std::string_view data, uint32_t seed);

}  // namespace cfs
