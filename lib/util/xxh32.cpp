#include "util/xxh32.hpp"

#include <bit>

namespace cfs {
namespace {

constexpr uint32_t kP1 = 0x9E3779B1U, kP2 = 0x85EBCA77U, kP3 = 0xC2B2AE3DU,
                   kP4 = 0x27D4EB2FU, kP5 = 0x165667B1U;

uint32_t load_le32(const unsigned char* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

uint32_t mix_lane(uint32_t acc, uint32_t lane) {
  return std::rotl(acc + lane * kP2, 13) * kP1;
}

}  // namespace

uint32_t xxh32(std::string_view data, uint32_t seed) {
  auto p = reinterpret_cast<const unsigned char*>(data.data());
  const auto* end = p + data.size();
  uint32_t h;
  if (data.size() >= 16) {
    uint32_t lanes[4] = {seed + kP1 + kP2, seed + kP2, seed, seed - kP1};
    for (; end - p >= 16; p += 16)
      for (int i = 0; i < 4; ++i) lanes[i] = mix_lane(lanes[i], load_le32(p + 4 * i));
    h = std::rotl(lanes[0], 1) + std::rotl(lanes[1], 7) + std::rotl(lanes[2], 12) +
        std::rotl(lanes[3], 18);
  } else {
    h = seed + kP5;
  }
  h += static_cast<uint32_t>(data.size());
  for (; end - p >= 4; p += 4) h = std::rotl(h + load_le32(p) * kP3, 17) * kP4;
  for (; p < end; ++p) h = std::rotl(h + *p * kP5, 11) * kP1;
  h ^= h >> 15;
  h *= kP2;
  h ^= h >> 13;
  h *= kP3;
  h ^= h >> 16;
  return h;
}

}  // namespace cfs
