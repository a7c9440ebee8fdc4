#include "stream/object_set.hpp"

#include <algorithm>
#include <cstring>

#include "util/hex.hpp"

namespace cfs::stream {
namespace {

constexpr size_t kFoldFrom = 4096;  // smaller vectors just grow

bool is_lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

// Value of a lower-case hex digit, or -1 (upper case too: it would not print
// back the same).
constexpr std::array<int8_t, 256> kLowerHex = [] {
  std::array<int8_t, 256> t{};
  for (int c = 0; c < 256; ++c) t[c] = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
  return t;
}();

// Two hex digits -> a byte, or -1.
int hex_byte(char hi, char lo) {
  const int h = kLowerHex[static_cast<unsigned char>(hi)], l = kLowerHex[static_cast<unsigned char>(lo)];
  return (h | l) < 0 ? -1 : h << 4 | l;
}

// "xx/" + 2*(N-1) lower-case hex digits at the start of `path` -> N bytes; false
// for any other shape.
template <size_t N>
bool pack_digest(std::string_view path, std::array<uint8_t, N>& out) {
  if (path.size() < 2 * N + 1 || path[2] != '/') return false;
  int b = hex_byte(path[0], path[1]);
  if (b < 0) return false;
  out[0] = static_cast<uint8_t>(b);
  for (size_t i = 1; i < N; ++i) {
    b = hex_byte(path[2 * i + 1], path[2 * i + 2]);
    if (b < 0) return false;
    out[i] = static_cast<uint8_t>(b);
  }
  return true;
}

// Appends `x`; a full vector first drops its repeats (`fold`) and grows only if
// that freed less than half of it.
template <class T, class Fold>
void append_folding(std::vector<T>& v, T&& x, Fold fold) {
  if (v.size() == v.capacity() && v.size() >= kFoldFrom) {
    fold(v);
    if (v.size() > v.capacity() / 2) v.reserve(v.capacity() * 2);
  }
  v.push_back(std::move(x));
}

void sort_strings(std::vector<std::string>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

}  // namespace

template <size_t N>
bool ObjectSet::add_packed(std::string_view path, std::vector<Packed<N>>& to) {
  Packed<N> p;
  if (!pack_digest(path, p.digest)) return false;
  // A suffix starting with a hex digit is left to the longer digest (a SHA-512
  // path would otherwise pack as SHA-256 with a 64-digit suffix, one each).
  const std::string_view suffix = path.substr(2 * N + 1);
  if (!suffix.empty() && is_lower_hex(suffix[0])) return false;
  auto known = suffixes_.begin() + last_suffix_;  // objects of one image share theirs
  if (last_suffix_ >= suffixes_.size() || *known != suffix) known = std::find(suffixes_.begin(), suffixes_.end(), suffix);
  if (known == suffixes_.end()) {
    if (suffixes_.size() == kMaxSuffixes) return false;
    known = suffixes_.insert(known, std::string(suffix));
  }
  p.suffix = static_cast<uint16_t>(known - suffixes_.begin());
  last_suffix_ = p.suffix;
  append_folding(to, std::move(p), [this](auto& v) { sort_packed(v); });
  return true;
}

// Sorted as their paths: same-length lower-case hex compares digit by digit like
// the bytes, the '/' sits at the same place in each, the suffix comes last.
template <size_t N>
void ObjectSet::sort_packed(std::vector<Packed<N>>& v) const {
  auto less = [this](const Packed<N>& a, const Packed<N>& b) {
    if (int c = std::memcmp(a.digest.data(), b.digest.data(), N)) return c < 0;
    return suffixes_[a.suffix] < suffixes_[b.suffix];
  };
  auto same = [](const Packed<N>& a, const Packed<N>& b) { return a.suffix == b.suffix && a.digest == b.digest; };
  std::sort(v.begin(), v.end(), less);
  v.erase(std::unique(v.begin(), v.end(), same), v.end());
}

template <size_t N>
std::string ObjectSet::unpack(const Packed<N>& p) const {
  std::string path = to_hex(p.digest);
  path.insert(2, 1, '/');
  return path += suffixes_[p.suffix];
}

void ObjectSet::add(std::string_view path) {
  if (add_packed(path, sha256_) || add_packed(path, sha512_)) return;
  append_folding(other_, std::string(path), sort_strings);
}

void ObjectSet::for_each_sorted(const std::function<void(std::string_view)>& fn) {
  sort_packed(sha256_);
  sort_packed(sha512_);
  sort_strings(other_);
  size_t a = 0, b = 0, c = 0;
  std::string pa, pb;  // the next path of each packed list, "" once used
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
  size_t n = sha256_.capacity() * sizeof(Packed<32>) + sha512_.capacity() * sizeof(Packed<64>) +
             other_.capacity() * sizeof(std::string);
  for (const auto& s : other_) n += s.capacity() > 15 ? s.capacity() : 0;
  return n;
}

}  // namespace cfs::stream
