// store: objects appear under their digest names only after publish(), whole,
// mode 0644, with no temporary file left either way (O_TMPFILE and named paths).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "temp_dir.hpp"
#include "store/object_store.hpp"

namespace fs = std::filesystem;
using cfs::store::ObjectStore;

namespace {

using cfs::test::TempDir;

// A source file holding `content`; returns its fd (the file itself is unlinked).
cfs::UniqueFd source(const TempDir& dir, const std::string& content) {
  std::string p = dir.path + "/src";
  cfs::UniqueFd fd(::open(p.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  REQUIRE(fd.valid());
  REQUIRE(::write(fd.get(), content.data(), content.size()) == static_cast<ssize_t>(content.size()));
  ::unlink(p.c_str());
  return fd;
}

std::string read_all(const std::string& path) {
  std::string out(1 << 16, '\0');
  cfs::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  REQUIRE(fd.valid());
  ssize_t n = ::read(fd.get(), out.data(), out.size());
  REQUIRE(n >= 0);
  out.resize(n);
  return out;
}

std::string content_of(int i) { return "object number " + std::to_string(i) + std::string(100, 'x'); }

cfs::fsverity::Digest digest_of(const std::string& s) {
  return cfs::fsverity::digest_of({reinterpret_cast<const uint8_t*>(s.data()), s.size()});
}

}  // namespace

TEST_CASE("objects appear only after publish, whole and mode 0644", "[store]") {
  bool tmpfile = GENERATE(true, false);
  CAPTURE(tmpfile);
  TempDir src, store_dir;
  auto store = ObjectStore::open(store_dir.path, {tmpfile, 0});
  REQUIRE(store.ok());
  std::vector<std::string> names;
  for (int i = 0; i < 5; i++) {
    std::string content = content_of(i);
    auto fd = source(src, content);
    auto d = digest_of(content);
    REQUIRE(store->add(fd.get(), content.size(), d, "src").ok());
    CHECK(store->contains(d));
    names.push_back(cfs::store::object_path(d));
  }
  for (const std::string& f : store_dir.files()) CHECK(f.find("/.") == std::string::npos);  // nothing final yet
  if (tmpfile) CHECK(store_dir.files().empty());
  REQUIRE(store->publish().ok());
  std::sort(names.begin(), names.end());
  CHECK(store_dir.files() == names);
  for (int i = 0; i < 5; i++) {
    std::string path = store_dir.path + "/" + cfs::store::object_path(digest_of(content_of(i)));
    CHECK(read_all(path) == content_of(i));
    struct stat st;
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0644);
  }
}

TEST_CASE("an unpublished store leaves nothing behind", "[store]") {
  bool tmpfile = GENERATE(true, false);
  CAPTURE(tmpfile);
  TempDir src, store_dir;
  {
    auto store = ObjectStore::open(store_dir.path, {tmpfile, 0});
    REQUIRE(store.ok());
    std::string content = content_of(1);
    auto fd = source(src, content);
    REQUIRE(store->add(fd.get(), content.size(), digest_of(content), "src").ok());
  }
  CHECK(store_dir.files().empty());
}

TEST_CASE("with few files allowed open, objects are published as they come", "[store]") {
  TempDir src, store_dir;
  auto store = ObjectStore::open(store_dir.path, {true, 2});
  REQUIRE(store.ok());
  for (int i = 0; i < 5; i++) {
    std::string content = content_of(i);
    auto fd = source(src, content);
    REQUIRE(store->add(fd.get(), content.size(), digest_of(content), "src").ok());
  }
  CHECK(store_dir.files().size() == 4);  // two early publishes of two
  REQUIRE(store->publish().ok());
  CHECK(store_dir.files().size() == 5);
}

TEST_CASE("an object already in the store is not copied again", "[store]") {
  TempDir src, store_dir;
  std::string content = content_of(7);
  auto d = digest_of(content);
  for (int run = 0; run < 2; run++) {
    auto store = ObjectStore::open(store_dir.path);
    REQUIRE(store.ok());
    auto fd = source(src, content);
    REQUIRE(store->add(fd.get(), content.size(), d, "src").ok());
    REQUIRE(store->publish().ok());
  }
  CHECK(store_dir.files() == std::vector<std::string>{cfs::store::object_path(d)});
}
