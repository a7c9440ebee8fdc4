// SHA-256 of two 4096-byte blocks at once, interleaved on the x86 SHA
// extensions: the rounds of one message fill the latency of the other's, so a
// core hashes the two in little more than the time of one. fs-verity hashes
// every data block of a file independently, which is what makes pairs.
#pragma once

#include <cstdint>

namespace cfs::fsverity::detail {

/// True when this CPU has the SHA extensions (and SSE4.1) this code needs.
bool sha256_pair_available();

/// out_a = SHA-256(a[0..4096)), out_b = SHA-256(b[0..4096)). Only call when
/// sha256_pair_available().
void sha256_pair_4k(const uint8_t* a, const uint8_t* b, uint8_t* out_a, uint8_t* out_b);

}  // namespace cfs::fsverity::detail
