// The streaming listings (lib/stream) on hand-made and hostile images: each must
// equal the tree-based listing (tests/stream/stream_compare.hpp), and the
// ObjectSet must list what a std::set of the same paths lists.
#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <vector>

#include "../stream/stream_compare.hpp"
#include "dump/parse.hpp"
#include "erofs/reader/decode.hpp"
#include "erofs/reader/image.hpp"
#include "erofs/writer.hpp"
#include "stream/object_set.hpp"

using namespace cfs;

namespace {

std::vector<uint8_t> write(const tree::Tree& t) {
  erofs::VectorSink sink;
  REQUIRE(erofs::write_image(t, {1, 1}, sink).ok());
  return std::move(sink.data);
}

std::vector<uint8_t> image_of(const char* dump) {
  auto tree = dump::parse_dump(dump, {});
  REQUIRE(tree.ok());
  return write(*tree);
}

// Points entry number `index` of directory `dir_name` (a child of the root, its
// entries inline) at inode `nid`.
void redirect_entry(std::vector<uint8_t>& img, const char* dir_name, int index, uint64_t nid) {
  auto view = erofs::reader::Image::open(img);
  REQUIRE(view.ok());
  auto root = erofs::reader::read_inode(*view, view->root_nid());
  REQUIRE(root.ok());
  auto ents = erofs::reader::read_dirents(*view, *root);
  REQUIRE(ents.ok());
  uint64_t dir_nid = 0;
  for (auto& e : *ents)
    if (e.name == dir_name) dir_nid = e.nid;
  auto dir = erofs::reader::read_inode(*view, dir_nid);
  REQUIRE(dir.ok());
  REQUIRE(dir->tailpacked());
  const uint64_t dirent = dir->tail_pos + index * 12;
  for (int i = 0; i < 8; ++i) img[dirent + i] = uint8_t(nid >> (8 * i));
}

uint64_t root_nid(const std::vector<uint8_t>& img) { return erofs::reader::Image::open(img)->root_nid(); }

std::string streamed_dump(const std::vector<uint8_t>& img) {
  std::string out;
  auto r = stream::print_dump(img, {}, [&](std::string_view s) { out.append(s); });
  REQUIRE(r.ok());
  return out;
}

}  // namespace

TEST_CASE("stream: hardlinks print as the tree printer prints them", "[stream]") {
  auto img = image_of(
      "/ 0 40755 2 0 0 0 0.0 - - -\n"
      "/a 0 40755 2 0 0 0 0.0 - - -\n"
      "/a/f 5 100644 3 0 0 0 0.0 - hello - user.x=1\n"
      "/b 0 @100644 0 0 0 0 0.0 /a/f - -\n"
      "/c 0 @100644 0 0 0 0 0.0 /a/f - -\n");
  CHECK(stream_test::compare(img, {}).empty());
  CHECK(stream_test::compare(img, {"b"}).empty());  // the first name filtered out
  const std::string dump = streamed_dump(img);
  CHECK(dump.find("\n/b 5 @100644 3 0 0 0 0.0 /a/f hello - user.x=1\n") != std::string::npos);
  CHECK(dump.find("\n/c 5 @100644 3 0 0 0 0.0 /a/f hello - user.x=1\n") != std::string::npos);
}

TEST_CASE("stream: a directory reached again is a hardlink entry: no loop", "[stream][hostile]") {
  const char* dump =
      "/ 0 40755 2 0 0 0 0.0 - - -\n"
      "/d 0 40755 3 0 0 0 0.0 - - -\n"
      "/d/x 0 40755 2 0 0 0 0.0 - - -\n";
  auto to_self = image_of(dump);
  // d's inline entries: ".", "..", "x"; point "x" back at d, then at the root.
  auto view = erofs::reader::Image::open(to_self);
  REQUIRE(view.ok());
  auto root = erofs::reader::read_inode(*view, view->root_nid());
  auto ents = erofs::reader::read_dirents(*view, *root);
  REQUIRE(ents.ok());
  uint64_t d_nid = 0;
  for (auto& e : *ents)
    if (e.name == "d") d_nid = e.nid;
  redirect_entry(to_self, "d", 2, d_nid);
  CHECK(stream_test::compare(to_self, {}).empty());
  CHECK(streamed_dump(to_self).find("\n/d/x 40 @40755 3 0 0 0 0.0 /d - -\n") != std::string::npos);
  auto to_root = image_of(dump);
  redirect_entry(to_root, "d", 2, root_nid(to_root));
  CHECK(stream_test::compare(to_root, {}).empty());
  CHECK(streamed_dump(to_root).find("\n/d/x 4096 @40755 3 0 0 0 0.0 / - -\n") != std::string::npos);
}

TEST_CASE("stream: nesting depth is bounded as in the tree reader", "[stream][hostile]") {
  auto build = [](unsigned depth) {
    tree::Tree t;
    tree::Node* cur = t.new_node();
    cur->mode = S_IFDIR | 0755;
    t.set_root(cur);
    for (unsigned i = 0; i < depth; ++i) {
      tree::Node* child = t.new_node();
      child->mode = S_IFDIR | 0755;
      child->name = t.keep("a");
      child->parent = cur;
      cur->children.push_back(child);
      cur = child;
    }
    return write(t);
  };
  auto ok = build(erofs::kMaxDirectoryDepth - 1);
  CHECK(stream_test::compare(ok, {}).empty());
  auto deep = build(erofs::kMaxDirectoryDepth + 1);
  CHECK(stream_test::compare(deep, {}).empty());
  std::string out;
  auto r = stream::print_ls(deep, {}, [&](std::string_view s) { out.append(s); });
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().errnum == ELOOP);
  CHECK(out.empty());  // the checking pass refuses it before anything is printed
}

TEST_CASE("stream: ObjectSet lists paths in strcmp order, each once", "[stream]") {
  const std::string h62(62, 'a'), h126(126, 'b');
  const std::vector<std::string> paths = {
      "ab/" + h62,         "ab/" + h62 + ".file", "ab/" + h62,        "00/" + h62 + ".file",
      "ff/" + h126,        "AB/" + h62,           "ab/" + h62 + "0",  "ab/" + h62.substr(1) + "g",
      "",                  "/odd/path",           "cd/" + h126 + "x", "ab/" + h62 + "x",
      "ab/" + h62 + ".file", "ab/" + h62.substr(1) + "0/x"};
  stream::ObjectSet set;
  std::set<std::string> expected;
  for (int round = 0; round < 3000; ++round)  // enough to fold the vectors
    for (const auto& p : paths) {
      set.add(p + (round % 2 ? "" : std::to_string(round % 7)));
      expected.insert(p + (round % 2 ? "" : std::to_string(round % 7)));
    }
  std::vector<std::string> got;
  set.for_each_sorted([&](std::string_view p) { got.emplace_back(p); });
  CHECK(got == std::vector<std::string>(expected.begin(), expected.end()));
}
