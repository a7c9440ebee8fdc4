// util: hex, xxh32, Result/CFS_TRY, whole-buffer I/O, AtomicFile and the arena.
#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <dirent.h>
#include <fcntl.h>
#include <filesystem>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include "temp_dir.hpp"
#include "util/arena.hpp"
#include "util/hex.hpp"
#include "util/io.hpp"
#include "util/result.hpp"
#include "util/xxh32.hpp"

namespace {

std::span<const uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// A fresh empty directory under $TMPDIR, removed with everything in it at scope exit.
using cfs::test::TempDir;

std::string read_file(const std::string& path) {
  cfs::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  REQUIRE(fd.valid());
  std::string out(1 << 16, '\0');
  auto n = cfs::read_full(fd.get(), {reinterpret_cast<uint8_t*>(out.data()), out.size()});
  REQUIRE(n.ok());
  out.resize(*n);
  return out;
}

void write_file(const std::string& path, std::string_view data) {
  cfs::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  REQUIRE(fd.valid());
  REQUIRE(cfs::write_all(fd.get(), bytes_of(data)).ok());
}

}  // namespace

TEST_CASE("hex_value accepts both cases and rejects the rest", "[util][hex]") {
  CHECK(cfs::hex_value('0') == 0);
  CHECK(cfs::hex_value('9') == 9);
  CHECK(cfs::hex_value('a') == 10);
  CHECK(cfs::hex_value('F') == 15);
  CHECK(cfs::hex_value('g') == -1);
  CHECK(cfs::hex_value('G') == -1);
  CHECK(cfs::hex_value(' ') == -1);
  CHECK(cfs::hex_value('\0') == -1);
  STATIC_REQUIRE(cfs::hex_value('c') == 12);
}

TEST_CASE("to_hex writes lower-case pairs", "[util][hex]") {
  const std::array<uint8_t, 6> in{0x00, 0x01, 0x7f, 0x80, 0xab, 0xff};
  CHECK(cfs::to_hex(in) == "00017f80abff");
  CHECK(cfs::to_hex(std::span<const uint8_t>{}) == "");
}

TEST_CASE("from_hex round trips and is strict", "[util][hex]") {
  std::array<uint8_t, 32> all{};
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<uint8_t>(i * 37 + 5);
  std::string hex = cfs::to_hex(all);
  REQUIRE(hex.size() == 64);
  std::array<uint8_t, 32> back{};
  REQUIRE(cfs::from_hex(hex, back));
  CHECK(back == all);

  std::array<uint8_t, 2> two{};
  SECTION("upper case digits") {
    REQUIRE(cfs::from_hex("ABcd", two));
    CHECK(two == std::array<uint8_t, 2>{0xab, 0xcd});
  }
  SECTION("every byte value") {
    for (int v = 0; v < 256; ++v) {
      std::array<uint8_t, 1> one{static_cast<uint8_t>(v)};
      std::array<uint8_t, 1> got{};
      REQUIRE(cfs::from_hex(cfs::to_hex(one), got));
      CHECK(got[0] == v);
    }
  }
  SECTION("rejects") {
    CHECK_FALSE(cfs::from_hex("abc", two));     // too short (odd)
    CHECK_FALSE(cfs::from_hex("ab", two));      // too short
    CHECK_FALSE(cfs::from_hex("abcdef", two));  // too long
    CHECK_FALSE(cfs::from_hex("abcg", two));    // non-hex
    CHECK_FALSE(cfs::from_hex("ab c", two));    // space
    CHECK_FALSE(cfs::from_hex("0x12", two));    // prefix
    CHECK_FALSE(cfs::from_hex(std::string_view("ab\0d", 4), two));
    CHECK_FALSE(cfs::from_hex(hex.substr(0, 63), back));
    CHECK_FALSE(cfs::from_hex(hex + "0", back));
    CHECK_FALSE(cfs::from_hex(hex + "00", back));
  }
  SECTION("empty") {
    CHECK(cfs::from_hex("", std::span<uint8_t>{}));
    CHECK_FALSE(cfs::from_hex("", two));
  }
}

// Expected values checked with an independent Python xxHash32 (and the published
// python-xxhash example for the long string).
TEST_CASE("xxh32 known vectors", "[util][xxh32]") {
  CHECK(cfs::xxh32("", 0) == 0x02CC5D05u);
  CHECK(cfs::xxh32("a", 0) == 0x550D7456u);
  CHECK(cfs::xxh32("abc", 0) == 0x32D153FFu);
  CHECK(cfs::xxh32("abc", 1) == 0xAA3DA8FFu);
  CHECK(cfs::xxh32("0123456789abcdefghij", 0) == 0x35600916u);  // one stripe + tail
  CHECK(cfs::xxh32("Nobody inspects the spammish repetition", 0) == 0xE2293B2Fu);
  // The EROFS name filter: suffix "overlay.opaque" of trusted.* (index 4).
  uint32_t h = cfs::xxh32("overlay.opaque", 0x25BBE08Fu + 4);
  CHECK(h == 0x4CE0A7F4u);
  CHECK((~(1u << (h & 31))) == 0xffefffffu);
}

TEST_CASE("xxh32 does not stop at NUL bytes", "[util][xxh32]") {
  using namespace std::string_view_literals;
  CHECK(cfs::xxh32("a\0"sv, 0) != cfs::xxh32("a"sv, 0));
}

namespace {

cfs::Result<int> parse_small(int v) {
  if (v < 0) return cfs::make_error(ERANGE, "negative");
  return v * 2;
}

cfs::Result<int> add_parsed(int a, int b) {
  int x = CFS_TRY(parse_small(a));
  int y = CFS_TRY(parse_small(b));
  return x + y;
}

cfs::Result<void> check_positive(int v) {
  if (v <= 0) return cfs::make_error(EDOM, "not positive: " + std::to_string(v));
  return {};
}

cfs::Result<std::string> describe(int v) {
  CFS_CHECK(check_positive(v));
  return std::string("ok ") + std::to_string(v);
}

cfs::Result<void> chain(int v, int* reached) {
  *reached = 0;
  CFS_CHECK(check_positive(v));
  *reached = 1;
  std::string s = CFS_TRY(describe(v - 1));
  *reached = 2;
  (void)s;
  return {};
}

}  // namespace

TEST_CASE("Result holds a value or an error", "[util][result]") {
  cfs::Result<int> good = 7;
  REQUIRE(good.ok());
  CHECK(static_cast<bool>(good));
  CHECK(*good == 7);
  CHECK(good.value() == 7);

  cfs::Result<int> bad = cfs::make_error(ENOENT, "missing");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().errnum == ENOENT);
  CHECK(bad.error().msg == "missing");
  cfs::Error taken = bad.take_error();
  CHECK(taken.msg == "missing");

  cfs::Result<void> v;
  CHECK(v.ok());
  cfs::Result<void> verr = cfs::make_error(EIO, "io");
  CHECK_FALSE(verr.ok());
  CHECK(verr.error().errnum == EIO);

  cfs::Error def;
  CHECK(def.errnum == EINVAL);

  cfs::Result<std::string> s = std::string("abc");
  CHECK(s->size() == 3);
  std::string moved = std::move(s).value();
  CHECK(moved == "abc");
}

TEST_CASE("CFS_TRY and CFS_CHECK propagate the first error", "[util][result]") {
  auto r = add_parsed(2, 3);
  REQUIRE(r.ok());
  CHECK(*r == 10);

  auto e1 = add_parsed(-1, 3);
  REQUIRE_FALSE(e1.ok());
  CHECK(e1.error().errnum == ERANGE);
  CHECK(e1.error().msg == "negative");

  auto d = describe(4);
  REQUIRE(d.ok());
  CHECK(*d == "ok 4");
  auto de = describe(0);
  REQUIRE_FALSE(de.ok());
  CHECK(de.error().errnum == EDOM);
  CHECK(de.error().msg == "not positive: 0");

  int reached = -1;
  CHECK(chain(5, &reached).ok());
  CHECK(reached == 2);
  auto c1 = chain(0, &reached);
  CHECK_FALSE(c1.ok());
  CHECK(reached == 0);
  auto c2 = chain(1, &reached);  // describe(0) fails after the first check passed
  CHECK_FALSE(c2.ok());
  CHECK(reached == 1);
  CHECK(c2.error().msg == "not positive: 0");
}

TEST_CASE("write_all and read_full move whole buffers through a pipe", "[util][io]") {
  int p[2];
  REQUIRE(::pipe(p) == 0);
  cfs::UniqueFd rd(p[0]), wr(p[1]);
  std::string data(3000, 'x');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7);
  REQUIRE(cfs::write_all(wr.get(), bytes_of(data)).ok());
  wr.reset();
  std::vector<uint8_t> buf(5000);
  auto n = cfs::read_full(rd.get(), buf);
  REQUIRE(n.ok());
  REQUIRE(*n == data.size());
  CHECK(std::equal(data.begin(), data.end(), buf.begin(), [](char a, uint8_t b) { return uint8_t(a) == b; }));
  auto again = cfs::read_full(rd.get(), buf);
  REQUIRE(again.ok());
  CHECK(*again == 0);

  auto werr = cfs::write_all(-1, bytes_of("x"));
  REQUIRE_FALSE(werr.ok());
  CHECK(werr.error().errnum == EBADF);
  auto rerr = cfs::read_full(-1, buf);
  REQUIRE_FALSE(rerr.ok());
  CHECK(rerr.error().errnum == EBADF);
}

TEST_CASE("errno_error formats 'what: strerror'", "[util][io]") {
  auto e = cfs::errno_error(ENOENT, "foo");
  CHECK(e.errnum == ENOENT);
  CHECK(e.msg == "foo: No such file or directory");
}

TEST_CASE("AtomicFile commit renames the temporary file over the target", "[util][io][atomic]") {
  TempDir dir;
  const std::string target = dir.path + "/out.img";
  write_file(target, "old contents");
  {
    auto f = cfs::AtomicFile::create(target, cfs::AtomicFile::Mode::named_temp);
    REQUIRE(f.ok());
    REQUIRE(f->fd() >= 0);
    REQUIRE(cfs::write_all(f->fd(), bytes_of("new contents")).ok());
    // Before commit: the target still holds the old data; a temp file sits next to it.
    CHECK(read_file(target) == "old contents");
    CHECK(dir.entries().size() == 2);
    REQUIRE(f->commit().ok());
  }
  CHECK(read_file(target) == "new contents");
  CHECK(dir.entries() == std::vector<std::string>{"out.img"});
}

TEST_CASE("AtomicFile with O_TMPFILE has no name until commit", "[util][io][atomic]") {
  TempDir dir;  // tmpfs or ext4: both have O_TMPFILE
  const std::string target = dir.path + "/out.img";
  write_file(target, "old contents");
  {
    auto f = cfs::AtomicFile::create(target);
    REQUIRE(f.ok());
    REQUIRE(cfs::write_all(f->fd(), bytes_of("new contents")).ok());
    CHECK(dir.entries() == std::vector<std::string>{"out.img"});
    REQUIRE(f->commit().ok());
  }
  CHECK(read_file(target) == "new contents");
  CHECK(dir.entries() == std::vector<std::string>{"out.img"});
  {
    auto f = cfs::AtomicFile::create(target);  // dropped without commit
    REQUIRE(f.ok());
    REQUIRE(cfs::write_all(f->fd(), bytes_of("lost")).ok());
  }
  CHECK(read_file(target) == "new contents");
  CHECK(dir.entries() == std::vector<std::string>{"out.img"});
}

TEST_CASE("AtomicFile creates a missing target on commit", "[util][io][atomic]") {
  TempDir dir;
  const std::string target = dir.path + "/fresh";
  {
    auto f = cfs::AtomicFile::create(target);
    REQUIRE(f.ok());
    REQUIRE(cfs::write_all(f->fd(), bytes_of("abc")).ok());
    REQUIRE(f->commit().ok());
  }
  CHECK(read_file(target) == "abc");
  CHECK(dir.entries() == std::vector<std::string>{"fresh"});
}

TEST_CASE("AtomicFile destroyed without commit leaves the target alone", "[util][io][atomic]") {
  TempDir dir;
  const std::string target = dir.path + "/keep.img";
  write_file(target, "precious");
  {
    auto f = cfs::AtomicFile::create(target, cfs::AtomicFile::Mode::named_temp);
    REQUIRE(f.ok());
    REQUIRE(cfs::write_all(f->fd(), bytes_of("half-written")).ok());
    // A moved-from AtomicFile must not remove the temp file its new owner uses.
    cfs::AtomicFile moved(std::move(*f));
    CHECK(dir.entries().size() == 2);
  }
  CHECK(read_file(target) == "precious");
  CHECK(dir.entries() == std::vector<std::string>{"keep.img"});

  SECTION("and no file appears when there was none") {
    const std::string none = dir.path + "/none";
    { auto f = cfs::AtomicFile::create(none); REQUIRE(f.ok()); }
    CHECK_FALSE(std::filesystem::exists(none));
    CHECK(dir.entries() == std::vector<std::string>{"keep.img"});
  }
}

TEST_CASE("AtomicFile::create fails in a missing directory", "[util][io][atomic]") {
  TempDir dir;
  auto f = cfs::AtomicFile::create(dir.path + "/no/such/dir/out");
  REQUIRE_FALSE(f.ok());
  CHECK(f.error().errnum == ENOENT);
  CHECK(f.error().msg.find(dir.path + "/no/such/dir/out") == 0);
}

TEST_CASE("Arena keeps bytes, concatenations and long strings", "[util][arena]") {
  cfs::util::Arena arena;
  const std::string long_text(300 << 10, 'x');  // beyond a chunk's quarter: a block of its own
  cfs::util::Str a = arena.keep("abc");
  cfs::util::Str joined = arena.keep({"/", "obj", std::string_view("\0z", 2)});
  cfs::util::Str big = arena.keep(long_text);
  cfs::util::Str empty = arena.keep("");
  CHECK(a == "abc");
  CHECK(joined.view() == std::string_view("/obj\0z", 6));
  CHECK(big.size() == long_text.size());
  CHECK(big == long_text);
  CHECK(empty.empty());
  CHECK(empty.data() != nullptr);  // views of empty Strs are still valid
  for (int i = 0; i < 10000; ++i) arena.keep("filler to cross chunk boundaries");
  CHECK(a == "abc");  // earlier bytes never move
  auto* p = static_cast<char*>(arena.allocate(24, 16));
  CHECK(reinterpret_cast<uintptr_t>(p) % 16 == 0);
  cfs::util::Arena moved = std::move(arena);
  CHECK(joined.view() == std::string_view("/obj\0z", 6));
}

TEST_CASE("Str orders bytewise like strcmp and compares with views", "[util][arena]") {
  using cfs::util::Str;
  CHECK(Str::literal("a") < Str::literal("b"));
  CHECK(Str::literal("\xff") > Str::literal("a"));  // unsigned bytes
  CHECK(Str::literal("ab") == std::string_view("ab"));
  CHECK(Str::literal("ab").str() == "ab");
  CHECK(Str().empty());
}

TEST_CASE("SharedArena interns equal strings once", "[util][arena]") {
  cfs::util::SharedArena arena;
  std::string a = "security.selinux", b = "security.selinux";
  cfs::util::Str x = arena.intern(a), y = arena.intern(b);
  CHECK(x.data() == y.data());
  CHECK(arena.intern("other").data() != x.data());
  CHECK(arena.keep(a).data() != x.data());  // keep always copies
}
