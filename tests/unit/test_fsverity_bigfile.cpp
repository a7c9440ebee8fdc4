// Big files: the hole-aware Hasher (update_zeros), subtree splitting, and
// digest_of_file (SEEK_DATA/SEEK_HOLE, several threads) against the plain
// streaming Hasher and against fsverity-utils' digests.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include "fsverity/fsverity.hpp"
#include "util/extents.hpp"
#include "util/hex.hpp"
#include "util/thread_budget.hpp"
#include "util/unique_fd.hpp"

namespace fsv = cfs::fsverity;
using cfs::ByteRange;

namespace {

constexpr uint64_t kBlock = 4096;
constexpr uint64_t kMiB = uint64_t{1} << 20;
constexpr fsv::HashAlg kAlgs[] = {fsv::HashAlg::sha256, fsv::HashAlg::sha512};

// Hashes per tree block: 128 with SHA-256, 64 with SHA-512.
uint64_t per_block(fsv::HashAlg alg) { return kBlock / cfs::format::digest_size(alg); }

const char* name_of(fsv::HashAlg alg) { return alg == fsv::HashAlg::sha512 ? "sha512" : "sha256"; }

// The byte at `offset` of a data extent: depends on the offset, rarely zero.
uint8_t data_byte(uint64_t offset) { return static_cast<uint8_t>(offset * 7 + (offset >> 13) + 1); }

// A file: `size` bytes, zero (a hole) except for the data extents.
struct Layout {
  uint64_t size;
  std::vector<ByteRange> data;
};

// The bytes [begin, begin + out.size()) of the layout's content.
void content_at(const Layout& l, uint64_t begin, std::span<uint8_t> out) {
  std::fill(out.begin(), out.end(), 0);
  for (ByteRange r : l.data) {
    uint64_t from = std::max(r.begin, begin), to = std::min(r.end, begin + out.size());
    for (uint64_t o = from; o < to; ++o) out[o - begin] = data_byte(o);
  }
}

// The reference: the plain Hasher fed every byte, zeros included, by update().
fsv::Digest plain_digest(const Layout& l, fsv::HashAlg alg) {
  fsv::Hasher h(alg);
  std::vector<uint8_t> buf(kMiB);
  for (uint64_t off = 0; off < l.size; off += buf.size()) {
    std::span<uint8_t> piece(buf.data(), std::min<uint64_t>(buf.size(), l.size - off));
    content_at(l, off, piece);
    h.update(piece);
  }
  return h.finish();
}

// A temporary sparse file holding the layout: data written, the rest a hole.
struct SparseFile {
  cfs::UniqueFd fd;
  std::string path;
  explicit SparseFile(const Layout& l) {
    const char* dir = std::getenv("TMPDIR");
    path = std::string(dir && *dir ? dir : "/tmp") + "/cfs-bigfile-XXXXXX";
    fd.reset(::mkstemp(path.data()));
    REQUIRE(fd.valid());
    for (ByteRange r : l.data) {
      std::vector<uint8_t> bytes(r.end - r.begin);
      content_at(l, r.begin, bytes);
      REQUIRE(::pwrite(fd.get(), bytes.data(), bytes.size(), static_cast<off_t>(r.begin)) ==
              static_cast<ssize_t>(bytes.size()));
    }
    REQUIRE(::ftruncate(fd.get(), static_cast<off_t>(l.size)) == 0);
  }
  SparseFile(const SparseFile&) = delete;
  SparseFile& operator=(const SparseFile&) = delete;
  ~SparseFile() { ::unlink(path.c_str()); }
};

std::vector<Layout> sparse_layouts() {
  const uint64_t m = kMiB;
  std::vector<Layout> out = {
      {0, {}},
      {1, {{0, 1}}},
      {4095, {{0, 4095}}},
      {4096, {{0, 4096}}},
      {4097, {{0, 4097}}},
      {3 * kBlock + 5, {}},                           // all hole, below the parallel size
      {10 * m, {{8 * m + 5, 10 * m}}},                // hole at the start
      {10 * m + 3, {{0, m + 3}}},                     // hole at the end
      {20 * m, {{5 * m - 7, 6 * m + 100}}},           // data in the middle
      {20 * m, {}},                                   // all hole
      {13 * m + 1, {{0, 4 * m + 1}, {9 * m, 9 * m + 1}, {13 * m, 13 * m + 1}}},
  };
  Layout many{12 * m, {}};  // small extents, unaligned, every 700 KiB
  for (uint64_t off = 1000; off + 5000 < many.size; off += 700 * 1024) many.data.push_back({off, off + 5000});
  out.push_back(many);
  return out;
}

// Level boundaries of `alg`'s tree: 4096 * per_block^2 bytes of data (64 MiB with
// SHA-256, 16 MiB with SHA-512), one block either side, mostly holes.
std::vector<Layout> boundary_layouts(fsv::HashAlg alg) {
  const uint64_t two_levels = kBlock * per_block(alg) * per_block(alg);
  std::vector<Layout> out;
  for (uint64_t size : {two_levels - kBlock, two_levels - 1, two_levels, two_levels + 1, two_levels + kBlock})
    out.push_back({size, {{0, 3 * kBlock + 1}, {size / 2 - 10, size / 2 + 10}, {size - 2, size}}});
  return out;
}

// 5 GiB all hole, and 1 GiB + 1 with data at three places (written as SparseFile
// does): digests by fsverity-utils' `fsverity digest`, on files made by this test.
struct Known {
  Layout layout;
  const char* sha256;
  const char* sha512;
};

}  // namespace

TEST_CASE("bigfile: update_zeros equals update with zero bytes", "[fsverity][bigfile]") {
  for (fsv::HashAlg alg : kAlgs) {
    const uint64_t p = per_block(alg);
    for (uint64_t zeros : {uint64_t{0}, uint64_t{1}, kBlock - 1, kBlock, kBlock + 1, p * kBlock - 1, p * kBlock,
                           p * kBlock + 1, (p * p + 3) * kBlock + 7}) {
      for (uint64_t before : {uint64_t{0}, uint64_t{100}, kBlock, 2 * kBlock - 1, p * kBlock + 4}) {
        INFO(name_of(alg) << " data " << before << " then zeros " << zeros << " then data 9000");
        Layout l{before + zeros + 9000, {{0, before}, {before + zeros, before + zeros + 9000}}};
        fsv::Hasher h(alg);
        std::vector<uint8_t> buf(before);
        content_at(l, 0, buf);
        h.update(buf);
        h.update_zeros(zeros);
        buf.resize(9000);
        content_at(l, before + zeros, buf);
        h.update(buf);
        CHECK(h.size() == l.size);
        CHECK(h.finish() == plain_digest(l, alg));
      }
    }
  }
}

TEST_CASE("bigfile: pieces hashed apart and appended equal the whole", "[fsverity][bigfile]") {
  for (fsv::HashAlg alg : kAlgs) {
    const uint64_t piece = fsv::Hasher::subtree_size(alg, 1);
    CHECK(piece == kBlock * per_block(alg));
    for (uint64_t size : {2 * piece, 2 * piece + 1, 5 * piece - kBlock, 5 * piece + kBlock + 3}) {
      INFO(name_of(alg) << " size " << size);
      Layout l{size, {{0, size}}};
      fsv::Hasher combined(alg), part(alg);
      std::vector<uint8_t> buf;
      for (uint64_t off = 0; off < size; off += piece) {
        buf.resize(std::min(piece, size - off));
        content_at(l, off, buf);
        part.update(buf);
        combined.append_subtree(part.finish_subtree(1), 1, buf.size());
      }
      CHECK(combined.size() == size);
      CHECK(combined.finish() == plain_digest(l, alg));
    }
  }
}

TEST_CASE("bigfile: digest_of_file on sparse files", "[fsverity][bigfile]") {
  for (fsv::HashAlg alg : kAlgs) {
    std::vector<Layout> layouts = sparse_layouts();
    for (const Layout& l : boundary_layouts(alg)) layouts.push_back(l);
    for (const Layout& l : layouts) {
      SparseFile f(l);
      fsv::Digest want = plain_digest(l, alg);
      for (unsigned threads : {1U, 3U}) {
        INFO(name_of(alg) << " size " << l.size << " extents " << l.data.size() << " threads " << threads);
        auto got = fsv::digest_of_file(f.fd.get(), l.size, alg, {.threads = threads});
        REQUIRE(got.ok());
        CHECK(*got == want);
      }
    }
  }
}

TEST_CASE("bigfile: digest_of_file takes only the budget's free threads", "[fsverity][bigfile]") {
  Layout l{40 * kMiB, {{0, 12 * kMiB}, {30 * kMiB, 30 * kMiB + 5}}};
  SparseFile f(l);
  fsv::Digest want = plain_digest(l, fsv::HashAlg::sha256);
  for (unsigned free_tokens : {0U, 1U, 4U}) {
    INFO("free tokens " << free_tokens);
    cfs::ThreadBudget budget(free_tokens);
    std::atomic<uint64_t> progress{0};
    auto got = fsv::digest_of_file(f.fd.get(), l.size, fsv::HashAlg::sha256,
                                   {.threads = 4, .budget = &budget, .progress = &progress});
    REQUIRE(got.ok());
    CHECK(*got == want);
    CHECK(progress.load() == l.size);
    CHECK(budget.try_acquire(100) == free_tokens);  // all given back
  }
}

TEST_CASE("bigfile: digests of fsverity-utils on a 5 GiB and a 1 GiB sparse file", "[fsverity][bigfile]") {
  const uint64_t g = uint64_t{1} << 30, m = kMiB;
  const Known known[] = {
      {{5 * g, {}},
       "71d671c82216c4295b90e06b04f448f3ed0c498bfed9052e07f67b127efaf568",
       "0000774861907d9e62c688ea3cef7bbf67daa38ea56d8d554269a3146f9d92b1"
       "68731f4fcbc80a1b887c4bb0d5dc37d22bbf0d92530d6373e975cb0bd5e2e4a2"},
      {{g + 1, {{0, 100}, {512 * m - 3, 512 * m + 70000}, {g - 4096, g + 1}}},
       "9bc18ef9d709998ce192388f3b3c46e49d775cc15794f6b1cc96492993d144c2",
       "30d39711e3dbb734f4e96ffef9000a25c4ec603e5f29cef99d164298a64eebe9"
       "378ec169d8637d70ceca9228cee4ba275542089834481d3a1a81682e89b7432c"},
  };
  for (const Known& k : known) {
    SparseFile f(k.layout);
    for (unsigned threads : {1U, 2U}) {
      INFO("size " << k.layout.size << " threads " << threads);
      auto d256 = fsv::digest_of_file(f.fd.get(), k.layout.size, fsv::HashAlg::sha256, {.threads = threads});
      auto d512 = fsv::digest_of_file(f.fd.get(), k.layout.size, fsv::HashAlg::sha512, {.threads = threads});
      REQUIRE(d256.ok());
      REQUIRE(d512.ok());
      CHECK(cfs::to_hex(*d256) == k.sha256);
      CHECK(cfs::to_hex(*d512) == k.sha512);
    }
    auto measured = fsv::file_digest(f.fd.get(), fsv::HashAlg::sha256);  // fstat size, all CPUs
    REQUIRE(measured.ok());
    CHECK(cfs::to_hex(*measured) == k.sha256);
  }
}

TEST_CASE("bigfile: a file shorter than the size given fails", "[fsverity][bigfile]") {
  for (uint64_t size : {uint64_t{5000}, 9 * kMiB + 3}) {
    SparseFile f({size, {{0, size}}});
    for (unsigned threads : {1U, 2U}) {
      INFO("size " << size << " threads " << threads);
      auto got = fsv::digest_of_file(f.fd.get(), size + kBlock, fsv::HashAlg::sha256, {.threads = threads});
      REQUIRE_FALSE(got.ok());
      CHECK(got.error().errnum == EIO);
    }
  }
}

TEST_CASE("bigfile: DataExtents finds the data and skips the holes", "[fsverity][bigfile]") {
  const uint64_t m = kMiB;
  Layout l{10 * m, {{2 * m, 3 * m}, {7 * m + 5, 7 * m + 9}}};
  SparseFile f(l);
  cfs::DataExtents extents(f.fd.get(), l.size);
  // Every data byte is inside what next_data returns; where the filesystem has no
  // holes, the whole file is data.
  for (uint64_t pos = 0; pos < l.size;) {
    ByteRange d = extents.next_data(pos);
    CHECK(d.begin >= pos);
    CHECK(d.end <= l.size);
    for (ByteRange want : l.data)
      if (want.end > pos && want.begin < d.begin) FAIL("data at " << want.begin << " skipped from " << pos);
    if (d.begin >= l.size) break;
    CHECK(d.end > d.begin);
    pos = d.end;
  }
  struct stat st;
  REQUIRE(::fstat(f.fd.get(), &st) == 0);
  if (static_cast<uint64_t>(st.st_blocks) * 512 < 2 * m) {  // holes on this filesystem: skipped
    CHECK(extents.next_data(0).begin == 2 * m);
    CHECK(extents.next_data(4 * m).begin >= 6 * m);
    CHECK(extents.next_data(8 * m).begin == l.size);
  }
}
