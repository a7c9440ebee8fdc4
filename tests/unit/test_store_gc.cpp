// store: the store rule, the lock, gc and fsck on small hand-made stores.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <ctime>
#include <fstream>
#include <set>
#include <string>

#include "store/fsck.hpp"
#include "store/gc.hpp"
#include "store/layout.hpp"
#include "store/lock.hpp"
#include "store/object_store.hpp"
#include "temp_dir.hpp"

using cfs::test::TempDir;
namespace store = cfs::store;

namespace {

void write_file(const std::string& path, const std::string& content, mode_t mode = 0644) {
  std::ofstream(path, std::ios::binary) << content;
  REQUIRE(::chmod(path.c_str(), mode) == 0);
}

// Puts `content` into the store under its digest name; returns "xx/rest".
std::string put_object(const TempDir& st, const std::string& content) {
  auto d = cfs::fsverity::digest_of({reinterpret_cast<const uint8_t*>(content.data()), content.size()});
  std::string rel = store::object_path(d);
  ::mkdir((st.path + "/" + rel.substr(0, 2)).c_str(), 0755);
  write_file(st.path + "/" + rel, content);
  return rel;
}

store::Listing listing_of(const TempDir& st, cfs::UniqueFd& fd) {
  auto opened = store::open_store(st.path);
  REQUIRE(opened.ok());
  fd = std::move(*opened);
  auto listing = store::list_store(fd.get(), st.path);
  REQUIRE(listing.ok());
  return std::move(*listing);
}

bool exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

// "Now" for gc, two hours ahead: everything just written counts as old.
int64_t later() { return static_cast<int64_t>(std::time(nullptr)) + 7200; }

}  // namespace

TEST_CASE("names: objects, subdirectories, temporary files", "[store]") {
  CHECK(store::is_subdir_name("0a"));
  CHECK_FALSE(store::is_subdir_name("0A"));
  CHECK_FALSE(store::is_subdir_name("0ab"));
  CHECK(store::is_object_name(std::string(62, 'f')));
  CHECK(store::is_object_name(std::string(126, 'f')));  // SHA-512
  CHECK_FALSE(store::is_object_name(std::string(64, 'f')));
  CHECK_FALSE(store::is_object_name(std::string(61, 'f')));
  CHECK_FALSE(store::is_object_name(std::string(61, 'f') + "g"));
  CHECK(store::is_temporary_name(".tmp-abc"));
  CHECK(store::is_temporary_name(".tmpXXXXXX"));
  CHECK_FALSE(store::is_temporary_name(".lock"));
}

TEST_CASE("open_store: only xx/, lost+found and .tmp* make a store", "[store]") {
  TempDir st;
  CHECK(store::open_store(st.path).ok());  // empty: an empty store
  ::mkdir((st.path + "/ab").c_str(), 0755);
  ::mkdir((st.path + "/lost+found").c_str(), 0700);
  write_file(st.path + "/.tmp-x", "partial");
  CHECK(store::open_store(st.path).ok());
  SECTION("a stray file") {
    write_file(st.path + "/notes.txt", "x");
    auto r = store::open_store(st.path);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().msg.find("notes.txt") != std::string::npos);
  }
  SECTION("xx/ as a regular file") {
    write_file(st.path + "/cd", "x");
    CHECK_FALSE(store::open_store(st.path).ok());
  }
  SECTION("xx/ as a symlink to a directory") {
    REQUIRE(::symlink("/tmp", (st.path + "/cd").c_str()) == 0);
    CHECK_FALSE(store::open_store(st.path).ok());
  }
  SECTION("not a directory at all") { CHECK_FALSE(store::open_store(st.path + "/.tmp-x").ok()); }
}

TEST_CASE("lock: shared with shared, exclusive alone", "[store]") {
  TempDir st;
  cfs::UniqueFd fd(::open(st.path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  using Mode = store::StoreLock::Mode;
  {
    auto a = store::StoreLock::acquire(fd.get(), st.path, Mode::shared);
    auto b = store::StoreLock::try_acquire(fd.get(), st.path, Mode::shared);
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    auto c = store::StoreLock::try_acquire(fd.get(), st.path, Mode::exclusive);
    REQUIRE_FALSE(c.ok());
    CHECK(c.error().errnum == EWOULDBLOCK);
  }
  auto x = store::StoreLock::try_acquire(fd.get(), st.path, Mode::exclusive);
  REQUIRE(x.ok());
  CHECK_FALSE(store::StoreLock::try_acquire(fd.get(), st.path, Mode::shared).ok());
  bool waited = false;
  x = store::StoreLock();  // released
  CHECK(store::StoreLock::acquire(fd.get(), st.path, Mode::shared, [&] { waited = true; }).ok());
  CHECK_FALSE(waited);
  ::DIR* d = ::opendir(st.path.c_str());
  int entries = 0;
  while (::readdir(d)) ++entries;
  ::closedir(d);
  CHECK(entries == 2);  // "." and "..": the lock made no file
}

TEST_CASE("gc removes exactly the unreferenced objects, after the grace period", "[store]") {
  TempDir st;
  std::string keep = put_object(st, "kept object " + std::string(100, 'k'));
  std::string drop = put_object(st, "dropped object " + std::string(100, 'd'));
  write_file(st.path + "/.tmp-leftover", "partial");
  cfs::UniqueFd fd;
  store::Listing listing = listing_of(st, fd);
  REQUIRE(listing.objects.size() == 2);
  std::set<std::string> referenced{keep};

  SECTION("within the grace period nothing goes") {
    auto r = store::collect_garbage(fd.get(), st.path, listing, referenced, {false, 3600, 0});
    REQUIRE(r.ok());
    CHECK(r->removed.objects == 0);
    CHECK(r->kept_recent.objects == 1);
    CHECK(exists(st.path + "/" + drop));
  }
  SECTION("dry run lists, removes nothing") {
    auto r = store::collect_garbage(fd.get(), st.path, listing, referenced, {true, 3600, later()});
    REQUIRE(r.ok());
    CHECK(r->removed_paths == std::vector<std::string>{drop});
    CHECK(exists(st.path + "/" + drop));
    CHECK(exists(st.path + "/.tmp-leftover"));
  }
  SECTION("after it, the garbage, the leftover and the empty xx/ go") {
    auto r = store::collect_garbage(fd.get(), st.path, listing, referenced, {false, 3600, later()});
    REQUIRE(r.ok());
    CHECK(r->removed.objects == 1);
    CHECK(r->kept.objects == 1);
    CHECK(r->temporaries_removed == 1);
    CHECK_FALSE(exists(st.path + "/" + drop));
    CHECK(exists(st.path + "/" + keep));
    CHECK(exists(st.path + "/" + keep.substr(0, 2)));
    if (drop.substr(0, 2) != keep.substr(0, 2)) CHECK_FALSE(exists(st.path + "/" + drop.substr(0, 2)));
  }
}

TEST_CASE("fsck finds a flipped byte and a bad mode; repair moves and fixes", "[store]") {
  TempDir st;
  std::string good = put_object(st, "good object " + std::string(5000, 'g'));
  std::string bad = put_object(st, "bad object " + std::string(5000, 'b'));
  std::string odd = put_object(st, "odd mode " + std::string(30, 'o'));
  write_file(st.path + "/" + bad, "bad object " + std::string(4999, 'b') + "X");
  REQUIRE(::chmod((st.path + "/" + odd).c_str(), 0755) == 0);
  cfs::UniqueFd fd;
  store::Listing listing = listing_of(st, fd);

  auto r = store::check_store(fd.get(), st.path, listing, {false, 2});
  REQUIRE(r.ok());
  REQUIRE(r->problems.size() == 2);
  CHECK(r->objects == 3);
  for (const auto& p : r->problems) {
    CHECK(p.repair.empty());
    if (p.path == bad) CHECK(p.what.find("does not match its name") != std::string::npos);
    else CHECK(p.what == "mode 0755, expected 0644");
  }

  auto fixed = store::check_store(fd.get(), st.path, listing, {true, 2});
  REQUIRE(fixed.ok());
  CHECK_FALSE(exists(st.path + "/" + bad));
  std::string moved = st.path + "/lost+found/" + bad.substr(0, 2) + "-" + bad.substr(3);
  CHECK(exists(moved));
  struct stat sb;
  REQUIRE(::stat((st.path + "/" + odd).c_str(), &sb) == 0);
  CHECK((sb.st_mode & 07777) == 0644);
  CHECK(exists(st.path + "/" + good));

  store::Listing after = listing_of(st, fd);
  auto again = store::check_store(fd.get(), st.path, after, {false, 0});
  REQUIRE(again.ok());
  CHECK(again->problems.empty());
}
