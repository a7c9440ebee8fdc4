// store::copy_file_contents: byte-identical copies that keep the source's holes.
#include <catch2/catch.hpp>

#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include "store/copy.hpp"
#include "util/unique_fd.hpp"

namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;

struct TempFile {
  cfs::UniqueFd fd;
  std::string path;
  TempFile() {
    const char* dir = std::getenv("TMPDIR");
    path = std::string(dir && *dir ? dir : "/tmp") + "/cfs-copy-XXXXXX";
    fd.reset(::mkstemp(path.data()));
    REQUIRE(fd.valid());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() { ::unlink(path.c_str()); }
};

struct Extent {
  uint64_t offset;
  uint64_t length;
};

void make_sparse(int fd, uint64_t size, const std::vector<Extent>& data) {
  for (const Extent& e : data) {
    std::vector<uint8_t> bytes(e.length);
    for (uint64_t i = 0; i < e.length; ++i) bytes[i] = static_cast<uint8_t>((e.offset + i) * 13 + 1);
    REQUIRE(::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(e.offset)) == static_cast<ssize_t>(e.length));
  }
  REQUIRE(::ftruncate(fd, static_cast<off_t>(size)) == 0);
}

bool same_contents(int a, int b, uint64_t size) {
  std::vector<uint8_t> x(kMiB), y(kMiB);
  for (uint64_t off = 0; off < size; off += kMiB) {
    size_t n = static_cast<size_t>(std::min(kMiB, size - off));
    if (::pread(a, x.data(), n, static_cast<off_t>(off)) != static_cast<ssize_t>(n)) return false;
    if (::pread(b, y.data(), n, static_cast<off_t>(off)) != static_cast<ssize_t>(n)) return false;
    if (!std::equal(x.begin(), x.begin() + static_cast<ptrdiff_t>(n), y.begin())) return false;
  }
  return true;
}

blkcnt_t blocks_of(int fd) {
  struct stat st;
  REQUIRE(::fstat(fd, &st) == 0);
  return st.st_blocks;
}

}  // namespace

TEST_CASE("store copy: contents equal, holes kept", "[store][bigfile]") {
  struct Case {
    uint64_t size;
    std::vector<Extent> data;
  };
  const Case cases[] = {
      {0, {}},
      {5000, {{0, 5000}}},
      {30 * kMiB, {}},
      {10 * kMiB, {{9 * kMiB + 5, 100000}}},
      {12 * kMiB + 3, {{0, kMiB + 3}}},
      {20 * kMiB, {{5 * kMiB - 7, kMiB + 100}, {19 * kMiB, 4096}}},
  };
  for (const Case& c : cases) {
    INFO("size " << c.size << ", " << c.data.size() << " extents");
    TempFile src, dst;
    make_sparse(src.fd.get(), c.size, c.data);
    REQUIRE(cfs::store::copy_file_contents(src.fd.get(), dst.fd.get(), c.size).ok());
    struct stat st;
    REQUIRE(::fstat(dst.fd.get(), &st) == 0);
    CHECK(static_cast<uint64_t>(st.st_size) == c.size);
    CHECK(same_contents(src.fd.get(), dst.fd.get(), c.size));
    // No more blocks than the source, give or take a filesystem's rounding.
    CHECK(blocks_of(dst.fd.get()) <= blocks_of(src.fd.get()) + 64);
  }
}

TEST_CASE("store copy: a source shorter than the size fails", "[store][bigfile]") {
  TempFile src, dst;
  make_sparse(src.fd.get(), 3 * kMiB, {{0, 3 * kMiB}});
  auto r = cfs::store::copy_file_contents(src.fd.get(), dst.fd.get(), 5 * kMiB);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().errnum == EIO);
}
