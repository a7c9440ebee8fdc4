// lib/fuse's mount view of an image: what overlayfs shows (whiteouts hidden,
// escaped xattrs unescaped, its own xattrs hidden), hardlinks as one inode, and
// refusal of corrupt images. (That it equals a real kernel mount is checked by
// the fuse suite; this covers the rules and the hostile cases.)
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "dump/parse.hpp"
#include "erofs/writer.hpp"
#include "fuse/view.hpp"

using namespace cfs;

namespace {

const char* const kDump =
    "/ 0 40755 2 0 0 0 100.5 - - - user.root=1\n"
    "/dir 0 40700 2 1000 1000 0 200.7 - - - trusted.overlay.x=esc user.a=1\n"
    "/dir/big 70000 100644 2 0 0 0 100.5 ab/cde - "
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef security.selinux=x\n"
    "/dir/link 0 @100644 0 0 0 0 0.0 /dir/big - -\n"
    "/dir/wh 0 20600 1 0 0 0 100.5 - - -\n"
    "/inline 5 100644 1 0 0 0 100.5 - hello - user.b=2\n"
    "/sym 7 120777 1 0 0 0 100.5 /target - -\n";

std::vector<uint8_t> image_of(const char* dump) {
  auto t = dump::parse_dump(dump, {});
  REQUIRE(t.ok());
  erofs::VectorSink sink;
  REQUIRE(erofs::write_image(*t, {1, 1}, sink).ok());
  return std::move(sink.data);
}

std::vector<std::string> names(const fuse::View& v, const fuse::FileNode& dir) {
  std::vector<std::string> out;
  for (const auto& e : v.entries(dir)) out.emplace_back(e.name);
  return out;
}

std::vector<std::string> xattr_names(const fuse::View& v, uint32_t ino) {
  auto xs = v.xattrs(*v.node(ino));
  REQUIRE(xs.ok());
  std::vector<std::string> out;
  for (const auto& x : *xs) out.push_back(x.name);
  return out;
}

}  // namespace

TEST_CASE("the view shows what overlayfs shows") {
  auto img = image_of(kDump);
  auto v = fuse::View::build(img);
  INFO((v.ok() ? "" : v.error().msg));
  REQUIRE(v.ok());
  const fuse::FileNode& root = *v->node(fuse::View::kRoot);
  // The writer's 256 root whiteouts are hidden, as overlayfs hides them.
  CHECK(names(*v, root) == std::vector<std::string>{"dir", "inline", "sym"});
  CHECK(xattr_names(*v, fuse::View::kRoot) == std::vector<std::string>{"user.root"});

  uint32_t dir = v->lookup(fuse::View::kRoot, "dir");
  REQUIRE(dir != 0);
  CHECK(v->node(dir)->parent == fuse::View::kRoot);
  // A user whiteout shows as the writer stored it: an empty regular file.
  CHECK(names(*v, *v->node(dir)) == std::vector<std::string>{"big", "link", "wh"});
  CHECK(v->node(v->lookup(dir, "wh"))->type() == S_IFREG);
  // trusted.overlay.overlay.x (escaped) reads as trusted.overlay.x.
  auto dx = xattr_names(*v, dir);
  CHECK(std::find(dx.begin(), dx.end(), "trusted.overlay.x") != dx.end());
  for (const auto& n : dx) CHECK(!n.starts_with("trusted.overlay.overlay."));

  uint32_t big = v->lookup(dir, "big");
  CHECK(v->lookup(dir, "link") == big);  // hardlinks: one inode
  const fuse::FileNode& b = *v->node(big);
  CHECK(b.redirect == "ab/cde");
  CHECK(b.digest.has_value());
  CHECK(b.stored.size == 70000);
  // Redirect and metacopy are overlayfs's own: hidden.
  CHECK(xattr_names(*v, big) == std::vector<std::string>{"security.selinux"});

  const fuse::FileNode& inl = *v->node(v->lookup(fuse::View::kRoot, "inline"));
  CHECK(inl.redirect.empty());
  auto data = v->stored_data(inl);
  REQUIRE(data.ok());
  CHECK(*data == "hello");
  auto target = v->symlink_target(*v->node(v->lookup(fuse::View::kRoot, "sym")));
  REQUIRE(target.ok());
  CHECK(*target == "/target");
  CHECK(v->lookup(fuse::View::kRoot, "nothing") == 0);
  CHECK(v->node(0) == nullptr);
  CHECK(v->node(v->inode_count() + 1) == nullptr);
}

TEST_CASE("overlayfs's xattr names") {
  CHECK(fuse::shown_xattr_name("user.x") == "user.x");
  CHECK(fuse::shown_xattr_name("trusted.overlay.overlay.opaque") == "trusted.overlay.opaque");
  CHECK(!fuse::shown_xattr_name("trusted.overlay.metacopy"));
  CHECK(!fuse::shown_xattr_name("trusted.overlay.redirect"));
  CHECK(fuse::shown_xattr_name("trusted.other") == "trusted.other");
}

TEST_CASE("corrupt images are refused, never crash") {
  auto img = image_of(kDump);
  CHECK(!fuse::View::build(std::span<const uint8_t>(img).first(100)).ok());
  std::vector<uint8_t> garbage(8192, 0xa5);
  CHECK(!fuse::View::build(garbage).ok());
  // Flip each byte of the metadata in turn: the build succeeds or fails, cleanly
  // (run under ASan+UBSan in the second pass).
  for (size_t i = 1024; i < std::min<size_t>(img.size(), 8192); i += 7) {
    auto bad = img;
    bad[i] ^= 0xff;
    auto v = fuse::View::build(bad);
    if (!v.ok()) continue;
    for (uint32_t ino = 1; ino <= v->inode_count(); ++ino) {
      const auto& n = *v->node(ino);
      (void)v->xattrs(n);
      if (n.type() == S_IFREG) (void)v->stored_data(n);
      if (n.type() == S_IFLNK) (void)v->symlink_target(n);
    }
  }
}
