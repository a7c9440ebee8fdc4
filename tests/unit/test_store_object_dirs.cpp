// store::open_object_beneath / ObjectDirs: an image's payload reaches only a
// regular file beneath the object directory, as the kernel's overlayfs redirect,
// through openat2 and through the O_NOFOLLOW walk used where openat2 is missing.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "store/object_dirs.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;
using cfs::store::ObjectAccess;
using cfs::store::ObjectDirs;
using cfs::store::open_object_beneath;
using cfs::store::Resolution;
using cfs::test::TempDir;

namespace {

void write_file(const std::string& path, const std::string& content) {
  std::ofstream(path) << content;
}

std::string read_fd(int fd) {
  std::string out(4096, '\0');
  ssize_t n = ::pread(fd, out.data(), out.size(), 0);
  REQUIRE(n >= 0);
  out.resize(static_cast<size_t>(n));
  return out;
}

// A store beside a secret: store/ab/good, store/ab/link -> ../../secret,
// store/cd/dirlink -> ../outside (a directory holding the secret), a FIFO, a
// subdirectory, and outside/secret, root/secret next to the store.
struct HostileStore {
  TempDir top;
  std::string store = top.path + "/store";
  HostileStore() {
    fs::create_directories(store + "/ab/sub");
    fs::create_directories(store + "/cd");
    fs::create_directories(top.path + "/outside");
    write_file(store + "/ab/good", "good object");
    write_file(top.path + "/secret", "SECRET");
    write_file(top.path + "/outside/secret", "SECRET");
    fs::create_symlink("../../secret", store + "/ab/link");
    fs::create_symlink("../outside", store + "/cd/dirlink");
    fs::create_symlink(top.path + "/secret", store + "/ab/abslink");
    REQUIRE(::mkfifo((store + "/ab/fifo").c_str(), 0644) == 0);
  }
};

struct Opened {
  int errnum = 0;  // 0: opened
  std::string content;
};

Opened open_in(const HostileStore& s, std::string_view payload, ObjectAccess access, Resolution how) {
  cfs::UniqueFd dir(::open(s.store.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  REQUIRE(dir.valid());
  auto fd = open_object_beneath(dir.get(), payload, access, how);
  if (!fd) return {fd.error().errnum, fd.error().msg};
  if (access == ObjectAccess::probe) return {0, ""};
  CHECK((::fcntl(fd->get(), F_GETFL) & O_NONBLOCK) == 0);  // reads and splices as usual
  return {0, read_fd(fd->get())};
}

}  // namespace

TEST_CASE("objects are opened beneath the directory only, as the kernel mount", "[store][object_dirs]") {
  HostileStore s;
  const Resolution how = GENERATE(Resolution::automatic, Resolution::walk);
  const ObjectAccess access = GENERATE(ObjectAccess::read, ObjectAccess::probe);
  CAPTURE(how == Resolution::walk, access == ObjectAccess::probe);
  struct Case {
    std::string_view payload;
    int errnum;
  };
  const Case cases[] = {
      {"ab/good", 0},
      {"/ab/good", 0},              // a redirect is absolute in the layer
      {"//ab/./good", 0},
      {"../secret", EXDEV},
      {"ab/../../secret", EXDEV},
      {"ab/../ab/good", EXDEV},     // no ".." at all, even one that stays inside
      {"../../../../../../../../etc/hostname", EXDEV},
      {"ab/link", ENOENT},          // a symlink is not an object
      {"ab/abslink", ENOENT},
      {"cd/dirlink/secret", ELOOP}, // nor is one followed on the way
      {"ab/fifo", ENOENT},          // opened without blocking, refused
      {"ab/sub", ENOENT},
      {"ab", ENOENT},
      {"ab/", ENOENT},
      {"", ENOENT},
      {"/", ENOENT},
      {"ab/nothing", ENOENT},
      {"ab/good/x", ENOTDIR},
      {std::string_view("ab/good\0x", 9), EINVAL},
  };
  for (const Case& c : cases) {
    CAPTURE(std::string(c.payload));
    const auto start = std::chrono::steady_clock::now();
    Opened got = open_in(s, c.payload, access, how);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
    CHECK(got.errnum == c.errnum);
    CHECK(got.content.find("SECRET") == std::string::npos);
    if (c.errnum == 0 && access == ObjectAccess::read) CHECK(got.content == "good object");
  }
}

TEST_CASE("devices in the store are no objects", "[store][object_dirs]") {
  HostileStore s;
  if (::mknod((s.store + "/ab/zero").c_str(), S_IFCHR | 0644, makedev(1, 5)) != 0) {
    WARN("mknod needs root: device case skipped");
    return;
  }
  const Resolution how = GENERATE(Resolution::automatic, Resolution::walk);
  CHECK(open_in(s, "ab/zero", ObjectAccess::read, how).errnum == ENOENT);
  CHECK(open_in(s, "ab/zero", ObjectAccess::probe, how).errnum == ENOENT);
}

TEST_CASE("probing needs no read permission on the object, as C's stat", "[store][object_dirs]") {
  HostileStore s;
  REQUIRE(::chmod((s.store + "/ab/good").c_str(), 0) == 0);
  const Resolution how = GENERATE(Resolution::automatic, Resolution::walk);
  CHECK(open_in(s, "ab/good", ObjectAccess::probe, how).errnum == 0);
  if (::geteuid() != 0) CHECK(open_in(s, "ab/good", ObjectAccess::read, how).errnum == EACCES);
}

TEST_CASE("ObjectDirs searches its directories in order", "[store][object_dirs]") {
  HostileStore a, b;
  write_file(b.store + "/ab/only-in-b", "from b");
  write_file(a.store + "/ab/both", "from a");
  write_file(b.store + "/ab/both", "from b");
  auto dirs = ObjectDirs::open({a.store, b.store});
  REQUIRE(dirs.ok());
  const Resolution how = GENERATE(Resolution::automatic, Resolution::walk);
  auto fd = dirs->open_object("ab/only-in-b", ObjectAccess::read, how);
  REQUIRE(fd.ok());
  CHECK(read_fd(fd->get()) == "from b");
  fd = dirs->open_object("ab/both", ObjectAccess::read, how);
  REQUIRE(fd.ok());
  CHECK(read_fd(fd->get()) == "from a");
  fd = dirs->open_object("ab/missing", ObjectAccess::read, how);
  REQUIRE_FALSE(fd.ok());
  CHECK(fd.error().errnum == ENOENT);
  fd = dirs->open_object("../secret", ObjectAccess::read, how);
  REQUIRE_FALSE(fd.ok());
  CHECK(fd.error().errnum == EXDEV);
  CHECK(fd.error().msg.find("../secret") != std::string::npos);
  CHECK_FALSE(ObjectDirs::open({a.store + "/nonexistent"}).ok());
  CHECK_FALSE(ObjectDirs::open({}).ok());
}
