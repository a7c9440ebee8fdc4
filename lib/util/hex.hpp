// Lower-case hex encoding and strict decoding of byte strings.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cfs {

/// Value of one hex digit (either case), or -1.
constexpr int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// Lower-case hex of `bytes`.
std::string to_hex(std::span<const uint8_t> bytes);

/// Decodes exactly 2*out.size() hex digits into `out`; false on any other input.
bool from_hex(std::string_view hex, std::span<uint8_t> out);

}  // namespace cfs
