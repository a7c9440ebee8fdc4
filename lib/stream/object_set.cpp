#include "stream/object_set.hpp"

#include <algorithm>
#include <cstring>

#include "util/hex.hpp"

namespace cfs::stream {
namespace {

constexpr size_t kFoldFrom = 4096;  // smaller vectors just grow

bool is_lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

// "xx/" + 2*(N-1) lower-case hex digits -> N bytes; false for any other shape
// (upper case too: it would not print back the same).
template <size_t N>
bool pack(std::string_view path, std::array<uint8_t, N>& out) {
  if (path.size() != 2 * N + 1 || path[2] != '/') return false;
  for (size_t i = 0; i < path.size(); ++i)
    if (i != 2 && !is_lower_hex(path[i])) return false;
  char digits[2 * N];
  std::memcpy(digits, path.data(), 2);
  std::memcpy(digits + 2, path.data() + 3, 2 * N - 2);
  return from_hex(std::string_view(digits, 2 * N), out);
}

template <size_t N>
std::string unpack(const std::array<uint8_t, N>& bytes) {
  std::string hex = to_hex(bytes);
  return hex.insert(2, 1, '/');
}

template <class T>
void sort_unique(std::vector<T>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

// Appends `x`; a full vector first drops its repeats and grows only if that
// freed less than half of it.
template <class T>
void append_folding(std::vector<T>& v, T&& x) {
  if (v.size() == v.capacity() && v.size() >= kFoldFrom) {
    sort_unique(v);
    if (v.size() > v.capacity() / 2) v.reserve(v.capacity() * 2);
  }
  v.push_back(std::move(x));
}

}  // namespace

void ObjectSet::add(std::string_view path) {
  std::array<uint8_t, 32> d256;
  std::array<uint8_t, 64> d512;
  if (pack(path, d256))
    append_folding(sha256_, std::move(d256));
  else if (pack(path, d512))
    append_folding(sha512_, std::move(d512));
  else
    append_folding(other_, std::string(path));
}

// The packed forms sort as their paths do: equal-length lower-case hex compares
// digit by digit like the bytes, and the '/' sits at the same place in each.
void ObjectSet::for_each_sorted(const std::function<void(std::string_view)>& fn) {
  sort_unique(sha256_);
  sort_unique(sha512_);
  sort_unique(other_);
  size_t a = 0, b = 0, c = 0;
  std::string pa, pb;
  while (a < sha256_.size() || b < sha512_.size() || c < other_.size()) {
    if (a < sha256_.size() && pa.empty()) pa = unpack(sha256_[a]);
    if (b < sha512_.size() && pb.empty()) pb = unpack(sha512_[b]);
    const std::string* best = nullptr;
    int which = -1;
    if (!pa.empty()) best = &pa, which = 0;
    if (!pb.empty() && (!best || pb < *best)) best = &pb, which = 1;
    if (c < other_.size() && (!best || other_[c] < *best)) best = &other_[c], which = 2;
    fn(*best);
    if (which == 0) pa.clear(), ++a;
    if (which == 1) pb.clear(), ++b;
    if (which == 2) ++c;
  }
}

size_t ObjectSet::memory_bytes() const {
  size_t n = sha256_.capacity() * 32 + sha512_.capacity() * 64 + other_.capacity() * sizeof(std::string);
  for (const auto& s : other_) n += s.capacity() > 15 ? s.capacity() : 0;
  return n;
}

}  // namespace cfs::stream
