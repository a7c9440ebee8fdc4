#include "fsverity/sha256_pair.hpp"

#include <cstdlib>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

namespace cfs::fsverity::detail {

#if defined(__x86_64__)

namespace {

// FIPS 180-4 constants: the initial hash value and the 64 round constants.
alignas(16) constexpr uint32_t kInit[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                           0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
alignas(16) constexpr uint32_t kRound[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

// The last block of a 4096-byte message: 0x80, zeros, the length in bits (32768)
// as a big-endian 64-bit number.
struct PaddingBlock {
  alignas(16) uint8_t bytes[64] = {};
  constexpr PaddingBlock() {
    bytes[0] = 0x80;
    bytes[62] = 0x80;  // 32768 = 0x8000, bytes 56..63 big-endian
  }
};
constexpr PaddingBlock kPadding4k;

#define CFS_SHA_TARGET __attribute__((target("sha,sse4.1,ssse3")))

// One message's working state in the layout the SHA instructions use:
// abef = (A, B, E, F) and cdgh = (C, D, G, H), high lane first.
struct State {
  __m128i abef, cdgh;
};

CFS_SHA_TARGET inline State initial_state() {
  __m128i abcd = _mm_load_si128(reinterpret_cast<const __m128i*>(kInit));
  __m128i efgh = _mm_load_si128(reinterpret_cast<const __m128i*>(kInit + 4));
  __m128i badc = _mm_shuffle_epi32(abcd, 0xB1);
  __m128i hgfe = _mm_shuffle_epi32(efgh, 0x1B);
  return {_mm_alignr_epi8(badc, hgfe, 8), _mm_blend_epi16(hgfe, badc, 0xF0)};
}

// Big-endian digest bytes from the state.
CFS_SHA_TARGET inline void store_digest(const State& s, uint8_t* out) {
  __m128i feba = _mm_shuffle_epi32(s.abef, 0x1B);
  __m128i dchg = _mm_shuffle_epi32(s.cdgh, 0xB1);
  __m128i dcba = _mm_blend_epi16(feba, dchg, 0xF0);
  __m128i hgfe = _mm_alignr_epi8(dchg, feba, 8);
  const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm_shuffle_epi8(dcba, bswap));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 16), _mm_shuffle_epi8(hgfe, bswap));
}

// Four rounds with message words w (w + round constants already added).
CFS_SHA_TARGET inline void four_rounds(State& s, __m128i wk) {
  s.cdgh = _mm_sha256rnds2_epu32(s.cdgh, s.abef, wk);
  s.abef = _mm_sha256rnds2_epu32(s.abef, s.cdgh, _mm_shuffle_epi32(wk, 0x0E));
}

// Message words 4i..4i+3 from the previous sixteen (w[0] oldest).
CFS_SHA_TARGET inline __m128i next_words(__m128i w0, __m128i w1, __m128i w2, __m128i w3) {
  __m128i t = _mm_add_epi32(_mm_sha256msg1_epu32(w0, w1), _mm_alignr_epi8(w3, w2, 4));
  return _mm_sha256msg2_epu32(t, w3);
}

// Compresses one 64-byte block into each of two states, round by round in step.
CFS_SHA_TARGET inline void compress_pair(State& a, State& b, const uint8_t* pa, const uint8_t* pb) {
  const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
  const State a0 = a, b0 = b;
  __m128i wa[4], wb[4];  // the last sixteen message words of each, as a ring
#pragma GCC unroll 16
  for (int i = 0; i < 16; ++i) {
    __m128i k = _mm_load_si128(reinterpret_cast<const __m128i*>(kRound + 4 * i));
    __m128i xa, xb;
    if (i < 4) {
      xa = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(pa + 16 * i)), bswap);
      xb = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(pb + 16 * i)), bswap);
    } else {
      xa = next_words(wa[i & 3], wa[(i + 1) & 3], wa[(i + 2) & 3], wa[(i + 3) & 3]);
      xb = next_words(wb[i & 3], wb[(i + 1) & 3], wb[(i + 2) & 3], wb[(i + 3) & 3]);
    }
    wa[i & 3] = xa;
    wb[i & 3] = xb;
    four_rounds(a, _mm_add_epi32(xa, k));
    four_rounds(b, _mm_add_epi32(xb, k));
  }
  a.abef = _mm_add_epi32(a.abef, a0.abef);
  a.cdgh = _mm_add_epi32(a.cdgh, a0.cdgh);
  b.abef = _mm_add_epi32(b.abef, b0.abef);
  b.cdgh = _mm_add_epi32(b.cdgh, b0.cdgh);
}

CFS_SHA_TARGET void pair_4k(const uint8_t* a, const uint8_t* b, uint8_t* out_a, uint8_t* out_b) {
  State sa = initial_state(), sb = initial_state();
  for (int off = 0; off < 4096; off += 64) compress_pair(sa, sb, a + off, b + off);
  compress_pair(sa, sb, kPadding4k.bytes, kPadding4k.bytes);
  store_digest(sa, out_a);
  store_digest(sb, out_b);
}

bool detect() {
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return false;
  bool ssse3 = ecx & bit_SSSE3, sse41 = ecx & bit_SSE4_1;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
  bool sha = ebx & bit_SHA;
  return ssse3 && sse41 && sha && !std::getenv("CFS_NO_SHA_PAIR");
}

}  // namespace

bool sha256_pair_available() {
  static const bool available = detect();
  return available;
}

void sha256_pair_4k(const uint8_t* a, const uint8_t* b, uint8_t* out_a, uint8_t* out_b) {
  pair_4k(a, b, out_a, out_b);
}

#else

bool sha256_pair_available() { return false; }
void sha256_pair_4k(const uint8_t*, const uint8_t*, uint8_t*, uint8_t*) {}

#endif

}  // namespace cfs::fsverity::detail
