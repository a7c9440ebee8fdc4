// fs-verity digest: known vectors, streaming vs one-shot, fd reading, ioctls.
#include <catch2/catch.hpp>

#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <string>
#include <string_view>
#include <unistd.h>
#include <vector>

#include "fsverity/fsverity.hpp"
#include "fsverity/sha256_pair.hpp"
#include "util/hex.hpp"
#include "util/io.hpp"
#include "util/unique_fd.hpp"

namespace fsv = cfs::fsverity;

namespace {

std::string hex(const fsv::Digest& d) { return cfs::to_hex(d); }

std::span<const uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Deterministic non-repeating-per-block content; the Python cross-check model
// uses the same formula: (i * 7 + (i >> 13)) & 0xff.
std::vector<uint8_t> pattern(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i * 7 + (i >> 13));
  return v;
}

fsv::Digest streamed(std::span<const uint8_t> data, size_t piece) {
  fsv::Hasher h;
  while (!data.empty()) {
    size_t n = std::min(piece, data.size());
    h.update(data.first(n));
    data = data.subspan(n);
  }
  return h.finish();
}

// A temporary file holding `data`, positioned at offset 0; removed on scope exit.
struct TempFile {
  cfs::UniqueFd fd;
  std::string path;
  TempFile() = default;
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    if (!path.empty()) ::unlink(path.c_str());
  }
};

void fill_temp_file(TempFile& tf, std::span<const uint8_t> data) {
  const char* dir = std::getenv("TMPDIR");
  tf.path = std::string(dir && *dir ? dir : "/tmp") + "/cfs-fsverity-XXXXXX";
  tf.fd.reset(::mkstemp(tf.path.data()));
  if (!tf.fd.valid()) tf.path.clear();
  REQUIRE(tf.fd.valid());
  REQUIRE(cfs::write_all(tf.fd.get(), data).ok());
  REQUIRE(::lseek(tf.fd.get(), 0, SEEK_SET) == 0);
}

constexpr size_t kBlock = 4096;

}  // namespace

TEST_CASE("fsverity: known digests", "[fsverity]") {
  CHECK(hex(fsv::digest_of({})) ==
        "3d248ca542a24fc62d1c43b916eae5016878e2533c88238480b26128a1f1af95");
  CHECK(hex(fsv::digest_of(bytes_of("hello world\n"))) ==
        "37061ef2ac4c21bec68489b56138c5780306a4ad7fe6676236ecdf2c9027cd92");
  CHECK(hex(fsv::digest_of(bytes_of("foo bar baz\n"))) ==
        "91e7d88cb7bc9cf6d8db3b0ecf89af4abf204bef5b3ade5113d5b62ef374e70b");
  std::vector<uint8_t> zeros(kBlock + 1, 0);
  CHECK(hex(fsv::digest_of(std::span(zeros).first(kBlock))) ==
        "babc284ee4ffe7f449377fbf6692715b43aec7bc39c094a95878904d34bac97e");
  CHECK(hex(fsv::digest_of(zeros)) ==
        "093756e4ea9683329106d4a16982682ed182c14bf076463a9e7f97305cbac743");
}

// Values cross-checked against an independent Python model and the reference
// C tool (composefs-info measure-file) on files holding pattern(size).
TEST_CASE("fsverity: multi-level tree digests", "[fsverity]") {
  struct Case {
    size_t size;
    const char* digest;
  };
  const Case cases[] = {
      {1, "b803429503d95915829b29fdbc8bbad142f3abfd11b1cadf5526582e685c0551"},
      {4095, "b37a93497ff6ed2821409ced1dc20f4c1002cc361adf2f22ec444a22c06fe857"},
      {128 * kBlock, "51dc4d3af2055a11e71928ce7df1f0d8dd37d55e2659d4f1fd2b1d75c74183a6"},
      {128 * kBlock + 1, "cf12ee048f0c111278595bc769bfb990ed41cc1b9f15f866336a45df86c8e359"},
      {700000, "e105a891e918dd2b384e4eeed685f8f34e76fbd6ecc388d06228521b2c176330"},
      {kBlock * kBlock + 5, "c95849e9b5bba707456973939b06f6a8835f83d67a2c1fa60fd51344969916e5"},
      {128 * 128 * kBlock + 5, "8b79578ab53682eca5201c77fcb5eae01be84f594fedff138e3819127e2ce2d1"},
  };
  for (const Case& c : cases) {
    INFO("size " << c.size);
    CHECK(hex(fsv::digest_of(pattern(c.size))) == c.digest);
  }
}

// SHA-512 (beyond composefs-c): values from fsverity-utils' `fsverity digest
// --hash-alg=sha512`; 64 hashes fill a tree block, so the level boundaries differ.
TEST_CASE("fsverity: SHA-512 digests", "[fsverity][sha512]") {
  const auto sha512 = fsv::HashAlg::sha512;
  CHECK(hex(fsv::digest_of({}, sha512)) ==
        "ccf9e5aea1c2a64efa2f2354a6024b90dffde6bbc017825045dce374474e13d1"
        "0adb9dadcc6ca8e17a3c075fbd31336e8f266ae6fa93a6c3bed66f9e784e5abf");
  CHECK(hex(fsv::digest_of(bytes_of("hello world\n"), sha512)) ==
        "4098b052d2427dc9029c85062215dd6e6c41667bfae09f5ce90a49f7e01fca29"
        "5c89b16a4d2703ac5b0593f476ca174675ee51829c2f1fd07c4133a87041c1d7");
  std::vector<uint8_t> zeros(kBlock + 1, 0);
  CHECK(hex(fsv::digest_of(std::span(zeros).first(kBlock), sha512)) ==
        "928922686c4caf32175f5236a7f964e9925d10a74dc6d8344a8bd08b23c228ff"
        "5792573987d7895f628f39c4f4ebe39a7367d7aeb16aaa0cd324ac1d53664e61");
  CHECK(hex(fsv::digest_of(zeros, sha512)) ==
        "4339f5da3788e60fa6857bd7040fadccd6f125b2c2334777eb14ed55179ad887"
        "d9131e9ce78485afc23051392b71e015528abbb7be07ed7073c56480b15cedf1");
  struct Case {
    size_t size;
    const char* digest;
  };
  const Case cases[] = {
      {1, "9fcf5172b085b1c8f9365eecb37a1869e193a4705654a5829f11939cd01d5c0fd97276be8cd9d49f76cfc8dcfeb80f8128e3548a1de50b56912b9e3fc7bde27b"},
      {4095, "aa1e0b02c27a70d540282f4383933a174935eae52fdbee813a9105c32ccb11fdad397bbd131ff238f4ed6885d0b48c45036e79fe99cf8d3c377325732602741c"},
      {64 * kBlock, "5421966288cad6ea49f7a39fb856a140d1bd0dfb47b29710d73dfbc669f0cad281a8be990364b5fc84cca514ac5f9496f00406535ece513368d1133cf2dd7369"},
      {64 * kBlock + 1, "0cb9033b029d220d56beb539ac50d0b416eb068e67b49fa45703f7f10c3ab3d2eae022f5658adbe6a37879f7246a00adb3cc1f00d628fdef9428d6643b68cee5"},
      {700000, "6cfe6314de43609a9bfca805e2be2c8e6e894568d1c90e3dd61a5adc4d3720b6e8a32db0c973322920736e7ec86b5381d1d75e55243be46c136fedfd26f2a8ab"},
      {64 * 64 * kBlock + 5, "0b8e41776b992380df8b70da07b3c16d3a31dd0e4c0c90d64fefda6b83d0cd874fefa2138fe55175acdac2b05c75199da47387fc53c67e65f7e5fa8d28a0190a"},
  };
  for (const Case& c : cases) {
    INFO("size " << c.size);
    std::vector<uint8_t> data = pattern(c.size);
    fsv::Digest d = fsv::digest_of(data, sha512);
    CHECK(d.alg() == sha512);
    CHECK(d.size() == 64);
    CHECK(hex(d) == c.digest);
    fsv::Hasher h(sha512);  // streamed in odd pieces
    for (size_t off = 0; off < data.size(); off += 4097) h.update(std::span(data).subspan(off, std::min<size_t>(4097, data.size() - off)));
    CHECK(h.finish() == d);
  }
  TempFile tf;
  fill_temp_file(tf, pattern(700000));
  auto from_fd = fsv::digest_of_fd(tf.fd.get(), sha512);
  REQUIRE(from_fd.ok());
  CHECK(*from_fd == fsv::digest_of(pattern(700000), sha512));
  CHECK_FALSE(*from_fd == fsv::digest_of(pattern(700000)));  // SHA-256 differs, size too
}

TEST_CASE("fsverity: streaming in odd pieces equals one-shot", "[fsverity]") {
  const size_t sizes[] = {0,          1,          4095,   kBlock,
                          kBlock + 1, 128 * kBlock, 128 * kBlock + 1, 700000,
                          kBlock * kBlock + 5};
  const size_t pieces[] = {1, 7, 4095, 4097, 100000};
  for (size_t size : sizes) {
    std::vector<uint8_t> data = pattern(size);
    fsv::Digest whole = fsv::digest_of(data);
    for (size_t piece : pieces) {
      INFO("size " << size << " piece " << piece);
      CHECK(streamed(data, piece) == whole);
    }
  }
}

TEST_CASE("fsverity: Hasher size and reuse after finish", "[fsverity]") {
  fsv::Hasher h;
  CHECK(h.size() == 0);
  std::vector<uint8_t> data = pattern(3 * kBlock + 17);
  h.update(data);
  CHECK(h.size() == data.size());
  CHECK(h.finish() == fsv::digest_of(data));
  CHECK(h.size() == 0);
  h.update(bytes_of("hello world\n"));
  CHECK(hex(h.finish()) == "37061ef2ac4c21bec68489b56138c5780306a4ad7fe6676236ecdf2c9027cd92");
  CHECK(hex(h.finish()) == "3d248ca542a24fc62d1c43b916eae5016878e2533c88238480b26128a1f1af95");

  fsv::Hasher moved(std::move(h));
  moved.update(data);
  CHECK(moved.finish() == fsv::digest_of(data));
}

TEST_CASE("fsverity: digest_of_fd matches digest_of", "[fsverity]") {
  for (size_t size : {size_t{0}, size_t{12}, kBlock, size_t{(1 << 20) - 1}, size_t{1 << 20},
                      size_t{(1 << 20) + 1}, size_t{2500000}}) {
    INFO("size " << size);
    std::vector<uint8_t> data = pattern(size);
    TempFile tf;
    fill_temp_file(tf, data);
    auto r = fsv::digest_of_fd(tf.fd.get());
    REQUIRE(r.ok());
    CHECK(*r == fsv::digest_of(data));
  }
}

TEST_CASE("fsverity: digest_of_fd starts at the current offset", "[fsverity]") {
  std::vector<uint8_t> data = pattern(3 * kBlock);
  TempFile tf;
  fill_temp_file(tf, data);
  REQUIRE(::lseek(tf.fd.get(), 100, SEEK_SET) == 100);
  auto r = fsv::digest_of_fd(tf.fd.get());
  REQUIRE(r.ok());
  CHECK(*r == fsv::digest_of(std::span(data).subspan(100)));
}

TEST_CASE("fsverity: digest_of_fd reports read errors", "[fsverity]") {
  auto r = fsv::digest_of_fd(-1);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().errnum == EBADF);
}

// Whether the kernel and filesystem support fs-verity varies: accept either a
// working enable + matching measurement, or the documented "unsupported" errors.
TEST_CASE("fsverity: kernel measure/enable", "[fsverity]") {
  std::vector<uint8_t> data = pattern(5 * kBlock + 3);
  TempFile tf;
  fill_temp_file(tf, data);
  cfs::UniqueFd fd(::open(tf.path.c_str(), O_RDONLY | O_CLOEXEC));
  REQUIRE(fd.valid());

  auto before = fsv::measure_fd(fd.get());
  REQUIRE_FALSE(before.ok());
  // Not enabled (ENODATA), or the ioctl not available here (ENOTTY, EOPNOTSUPP,
  // ENOSYS under qemu-user): the answers that send file_digest to hashing.
  CHECK((before.error().errnum == ENODATA || fsv::verity_unsupported(before.error().errnum)));

  tf.fd.reset();  // enabling needs the file to have no writers
  auto en = fsv::enable_fd(fd.get());
  if (!en.ok()) {
    WARN("fs-verity not enabled on temp file: " << en.error().msg);
    return;
  }
  auto m = fsv::measure_fd(fd.get());
  REQUIRE(m.ok());
  CHECK(*m == fsv::digest_of(data));
}

TEST_CASE("paired SHA-256 of 4 KiB blocks equals OpenSSL's", "[fsverity][sha]") {
  using cfs::fsverity::detail::sha256_pair_4k;
  if (!cfs::fsverity::detail::sha256_pair_available()) {
    WARN("no SHA extensions on this CPU: the paired path is not used here");
    return;
  }
  std::mt19937 rng(42);
  std::vector<uint8_t> a(4096), b(4096);
  for (int round = 0; round < 200; ++round) {
    for (auto& x : a) x = static_cast<uint8_t>(rng());
    for (auto& x : b) x = static_cast<uint8_t>(round % 2 ? rng() : 0);
    uint8_t got_a[32], got_b[32], want_a[32], want_b[32];
    sha256_pair_4k(a.data(), b.data(), got_a, got_b);
    SHA256(a.data(), a.size(), want_a);
    SHA256(b.data(), b.size(), want_b);
    REQUIRE(std::memcmp(got_a, want_a, 32) == 0);
    REQUIRE(std::memcmp(got_b, want_b, 32) == 0);
  }
}

TEST_CASE("digest_pair_small equals digest_of for one-block files", "[fsverity]") {
  std::mt19937 rng(7);
  for (size_t size_a : {1, 64, 65, 1000, 4095, 4096})
    for (size_t size_b : {1, 4096, 333}) {
      std::vector<uint8_t> a(size_a), b(size_b);
      for (auto& x : a) x = static_cast<uint8_t>(rng());
      for (auto& x : b) x = static_cast<uint8_t>(rng());
      cfs::fsverity::Digest da, db;
      cfs::fsverity::digest_pair_small(a, b, da, db);
      CHECK(da == cfs::fsverity::digest_of(a));
      CHECK(db == cfs::fsverity::digest_of(b));
    }
}
