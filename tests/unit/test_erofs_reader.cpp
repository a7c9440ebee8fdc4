// The image reader: round trips through the writer, C's overlay-xattr undoing,
// --filter, and hostile images (truncated, bit-flipped, cycles, deep nesting).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "dump/parse.hpp"
#include "dump/print.hpp"
#include "erofs/reader/decode.hpp"
#include "erofs/reader/image.hpp"
#include "erofs/reader/reader.hpp"
#include "erofs/writer.hpp"

using namespace cfs;

namespace {

const char* const kDump =
    "/ 0 40755 2 0 0 0 100.5 - - - user.root=1\n"
    "/00 0 20644 1 0 0 0 100.5 - - -\n"
    "/dir 0 40700 2 1000 1000 0 200.7 - - - trusted.overlay.x=esc user.a=1\n"
    "/dir/sub 0 40700 2 0 0 0 100.5 - - -\n"
    "/dir/big 70000 100644 2 0 0 0 100.5 ab/cde - "
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef security.selinux=x\n"
    "/dir/link 0 @120777 0 0 0 0 0.0 /dir/big - -\n"
    "/dir/wh 0 20600 1 0 0 0 100.5 - - -\n"
    "/inline 5 100644 1 0 0 0 100.5 - hello - user.b=2\n"
    "/sym 7 120777 1 0 0 0 100.5 /target - -\n"
    "/blk 0 60600 1 0 0 2049 100.5 - - -\n"
    "/fifo 0 10644 1 70000 70000 0 300.0 - - -\n";

std::vector<uint8_t> write(const tree::Tree& t, uint32_t version = 1) {
  erofs::VectorSink sink;
  auto r = erofs::write_image(t, {version, version}, sink);
  REQUIRE(r.ok());
  return std::move(sink.data);
}

std::vector<uint8_t> image_of(const char* dump, uint32_t version = 1) {
  auto t = dump::parse_dump(dump, {});
  INFO((t.ok() ? "" : t.error().msg));
  REQUIRE(t.ok());
  return write(*t, version);
}

std::string dump_of(const tree::Tree& t) {
  std::string out;
  dump::print_dump(*t.root(), [&](std::string_view s) { out += s; });
  return out;
}

tree::Tree read_ok(std::span<const uint8_t> img, erofs::ReadOptions o = {}) {
  auto t = erofs::read_image(img, o);
  INFO((t.ok() ? "" : t.error().msg));
  REQUIRE(t.ok());
  return std::move(t).value();
}

}  // namespace

TEST_CASE("reader: write -> read -> write gives the same image", "[erofs][reader]") {
  for (uint32_t version : {0u, 1u}) {
    auto img = image_of(kDump, version);
    tree::Tree t = read_ok(img);
    CHECK((write(t, version) == img));
    auto v = erofs::read_image_version(img);
    REQUIRE(v.ok());
    CHECK(*v == version);
  }
}

TEST_CASE("reader: SHA-512 digests come back from 68-byte metacopies", "[erofs][reader][sha512]") {
  std::string d512(128, 'a'), dump = "/ 4096 40755 2 0 0 0 100.5 - - -\n/f 5000 100644 1 0 0 0 100.5 aa/" +
                                     d512.substr(2) + " - " + d512 + "\n";
  auto img = image_of(dump.c_str());
  tree::Tree t = read_ok(img);
  const tree::Node* f = tree::Tree::lookup_child(*t.root(), "f");
  REQUIRE(f);
  REQUIRE(f->digest);
  CHECK(f->digest->alg() == format::HashAlg::sha512);
  CHECK(to_hex(*f->digest) == d512);
  CHECK((write(t, 1) == img));
  CHECK(dump_of(t).find(" " + d512 + "\n") != std::string::npos);
}

TEST_CASE("reader: overlay xattrs are undone as C does", "[erofs][reader]") {
  tree::Tree t = read_ok(image_of(kDump));
  const tree::Node& root = *t.root();
  // The user's 00 whiteout survives; the 255 automatic ones are dropped.
  REQUIRE(root.children.size() == 6);
  const tree::Node* wh00 = tree::Tree::lookup_child(root, "00");
  REQUIRE(wh00);
  CHECK(wh00->type() == S_IFCHR);
  CHECK(wh00->rdev == 0);
  CHECK(tree::Tree::lookup_child(root, "01") == nullptr);
  const tree::Node* dir = tree::Tree::lookup_child(root, "dir");
  REQUIRE(dir);
  CHECK(dir->find_xattr("trusted.overlay.x"));
  CHECK(dir->find_xattr("trusted.overlay.x")->value == "esc");
  CHECK_FALSE(dir->find_xattr("user.overlay.whiteouts"));
  CHECK_FALSE(dir->find_xattr("trusted.overlay.overlay.whiteouts"));
  // Version 1 marks the parent of a whiteout opaque; C keeps those (unescaped).
  CHECK(dir->find_xattr("trusted.overlay.opaque"));
  CHECK(dir->find_xattr("user.overlay.opaque"));
  // The root holds the user's whiteout 00, so it is marked opaque too.
  CHECK(root.find_xattr("trusted.overlay.opaque"));
  const tree::Node* big = tree::Tree::lookup_child(*dir, "big");
  REQUIRE(big);
  CHECK(big->payload == std::optional<std::string>("ab/cde"));
  REQUIRE(big->digest);
  CHECK((*big->digest)[0] == 0x01);
  CHECK(big->size == 70000);
  CHECK(big->xattrs.size() == 1);
  const tree::Node* link = tree::Tree::lookup_child(*dir, "link");
  REQUIRE(link);
  CHECK(link->link_to == big);
  const tree::Node* wh = tree::Tree::lookup_child(*dir, "wh");
  REQUIRE(wh);
  CHECK(wh->mode == (S_IFCHR | 0600));
  const tree::Node* in = tree::Tree::lookup_child(root, "inline");
  REQUIRE(in);
  CHECK(in->content == "hello");
  CHECK(tree::Tree::lookup_child(root, "sym")->payload == std::optional<std::string>("/target"));
  CHECK(tree::Tree::lookup_child(root, "blk")->rdev == 2049);
  CHECK(tree::Tree::lookup_child(root, "fifo")->uid == 70000);
  CHECK(tree::Tree::lookup_child(root, "fifo")->mtime_sec == 300);
}

TEST_CASE("reader: dump text of a read image", "[erofs][reader][dump]") {
  auto img = image_of(
      "/ 0 40755 2 0 0 0 0.0 - - -\n"
      "/a 10 100644 2 0 0 0 0.0 - 0123456789 - user.x=a=b\n"
      "/b 0 @120777 0 0 0 0 0.0 /a - -\n",
      0);
  tree::Tree t = read_ok(img);
  CHECK(dump_of(t) ==
        "/ 4096 40755 2 0 0 0 0.0 - - -\n"
        "/a 10 100644 2 0 0 0 0.0 - 0123456789 - user.x=a\\x3db\n"
        "/b 10 @100644 2 0 0 0 0.0 /a 0123456789 - user.x=a\\x3db\n");
}

TEST_CASE("reader: redirect payload keeps C's read past the value", "[erofs][reader]") {
  // "/abc" is 4 bytes; C's strndup(value + 1, size + 1) takes the next xattr's
  // header bytes (name length 3, index 1 for user.foo).
  auto img = image_of(
      "/ 0 40755 2 0 0 0 0.0 - - -\n"
      "/f 100 100644 1 0 0 0 0.0 abc - - user.foo=1\n");
  tree::Tree t = read_ok(img);
  CHECK(t.root()->children.at(0)->payload == std::optional<std::string>("abc\x03\x01"));
}

TEST_CASE("reader: filter loads only the named top-level entries", "[erofs][reader]") {
  auto img = image_of(kDump);
  erofs::ReadOptions o;
  o.filter = {"inline", "dir", "nothere"};
  tree::Tree t = read_ok(img, o);
  REQUIRE(t.root()->children.size() == 2);
  CHECK(t.root()->children[0]->name == "dir");
  CHECK(t.root()->children[0]->children.size() == 4);
  CHECK(t.root()->children[1]->name == "inline");
}

TEST_CASE("reader: truncated images are errors", "[erofs][reader][hostile]") {
  auto img = image_of(kDump);
  for (size_t len = 0; len < img.size(); len += (len < 8192 ? 7 : 509)) {
    auto t = erofs::read_image(std::span(img).first(len));
    CHECK_FALSE(t.ok());
  }
}

TEST_CASE("reader: bit-flipped images never crash", "[erofs][reader][hostile]") {
  auto img = image_of(kDump);
  auto layout = erofs::reader::Image::open(img);
  REQUIRE(layout.ok());
  // Every bit of the header and superblock; three bits of each byte of the inode
  // and xattr area.
  const size_t end = std::min<size_t>(img.size(), layout->xattr_start() + 4096);
  size_t ok = 0, failed = 0;
  auto try_flip = [&](size_t pos, uint8_t mask) {
    img[pos] ^= mask;
    auto t = erofs::read_image(img);
    (t.ok() ? ok : failed)++;
    if (t.ok()) (void)dump_of(*t);
    img[pos] ^= mask;
  };
  for (size_t pos = 0; pos < end; ++pos) {
    if (pos >= 32 && pos < 1024) continue;  // zero padding, never read
    if (pos < 1024 + 128)
      for (int bit = 0; bit < 8; ++bit) try_flip(pos, uint8_t(1u << bit));
    else
      for (uint8_t mask : {0x01, 0x10, 0x80}) try_flip(pos, mask);
  }
  CHECK(failed > 0);
  CHECK(ok > 0);
}

TEST_CASE("reader: header and superblock checks", "[erofs][reader][hostile]") {
  auto img = image_of(kDump);
  auto bad = img;
  bad[0] ^= 1;
  CHECK(erofs::read_image(bad).error().errnum == EINVAL);
  bad = img;
  bad[4] = 2;  // header version
  CHECK(erofs::read_image(bad).error().errnum == ENOTSUP);
  bad = img;
  bad[1024 + 12] = 13;  // blkszbits
  CHECK_FALSE(erofs::read_image(bad).ok());
  std::vector<uint8_t> zeros(8192);
  CHECK_FALSE(erofs::read_image(zeros).ok());
}

TEST_CASE("reader: a directory reached again is a hardlink entry, as in C: no loop", "[erofs][reader][hostile]") {
  auto img = image_of(
      "/ 0 40755 2 0 0 0 0.0 - - -\n"
      "/d 0 40755 3 0 0 0 0.0 - - -\n"
      "/d/x 0 40755 2 0 0 0 0.0 - - -\n");
  auto view = erofs::reader::Image::open(img);
  REQUIRE(view.ok());
  auto root = erofs::reader::read_inode(*view, view->root_nid());
  REQUIRE(root.ok());
  auto ents = erofs::reader::read_dirents(*view, *root);
  REQUIRE(ents.ok());
  uint64_t d_nid = 0;
  for (auto& e : *ents)
    if (e.name == "d") d_nid = e.nid;
  auto d = erofs::reader::read_inode(*view, d_nid);
  REQUIRE(d.ok());
  REQUIRE(d->tailpacked());
  // d's inline entries: ".", "..", "x"; point "x" back at d.
  uint64_t x_dirent = d->tail_pos + 2 * 12;
  for (int i = 0; i < 8; ++i) img[x_dirent + i] = uint8_t(d_nid >> (8 * i));
  auto t = erofs::read_image(img);
  REQUIRE(t.ok());
  const tree::Node* d_node = tree::Tree::lookup_child(*t->root(), "d");
  REQUIRE(d_node != nullptr);
  const tree::Node* x = tree::Tree::lookup_child(*d_node, "x");
  REQUIRE(x != nullptr);
  CHECK(x->link_to == d_node);  // not descended into
  CHECK(x->children.empty());
}

TEST_CASE("reader: nesting depth is bounded", "[erofs][reader][hostile]") {
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
  CHECK(erofs::read_image(build(erofs::kMaxDirectoryDepth - 1)).ok());
  auto deep = erofs::read_image(build(erofs::kMaxDirectoryDepth + 1));
  REQUIRE_FALSE(deep.ok());
  CHECK(deep.error().errnum == ELOOP);
}

TEST_CASE("reader: the decode budget caps memory", "[erofs][reader][hostile]") {
  auto img = image_of(kDump);
  erofs::ReadOptions o;
  o.max_decoded_bytes = 1000;
  auto t = erofs::read_image(img, o);
  REQUIRE_FALSE(t.ok());
  CHECK(t.error().errnum == E2BIG);
}
