// erofs writer: overlay xattrs (metacopy, redirect, escaping), hardlinks,
// whiteouts and format versions, the shared-xattr table and layout details.
// Expected values checked against composefs-c 1.0.8, as in test_erofs_writer.cpp.
#include <catch2/catch.hpp>

#include "erofs_probe.hpp"

using namespace erofs_probe;
using namespace std::string_literals;

TEST_CASE("E10: metacopy and redirect xattrs", "[erofs][overlay]") {
  const std::string digest = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  Img img = build(kRoot + file("/p", "10 100644 1 0 0 0 100.5 /abs/path - -") + file("/r", "5 100644 1 0 0 0 100.5 rel/p - " + digest) +
                  file("/z", "0 100644 1 0 0 0 100.5 x/y - " + digest) + file("/q", "3 100644 1 0 0 0 100.5 x/y abc " + digest) +
                  file("/dash", "7 100644 1 0 0 0 100.5 \\x2d - -"));
  CHECK(img.xattr_strings(img.at("/p")) == std::vector<std::string>{"trusted.overlay.metacopy=", "trusted.overlay.redirect=//abs/path"});
  CHECK(img.xattr_strings(img.at("/dash")) == std::vector<std::string>{"trusted.overlay.metacopy=", "trusted.overlay.redirect=/-"});
  auto rx = img.xattrs(img.at("/r"));
  REQUIRE(rx.size() == 2);
  CHECK(rx[0].name == "trusted.overlay.metacopy");
  std::string meta = "\x00\x24\x00\x01"s;
  for (int i = 0; i < 4; ++i) meta += "\x01\x23\x45\x67\x89\xab\xcd\xef"s;
  CHECK(rx[0].value == meta);
  CHECK(rx[1].name == "trusted.overlay.redirect");
  CHECK(rx[1].value == "/rel/p");
  Ino z = img.at("/z");
  CHECK(z.icount == 0);
  CHECK(z.format == 0x0);
  Ino q = img.at("/q");
  CHECK(q.icount == 0);
  CHECK(q.format == 0x4);
  CHECK(img.str(q.tail_off(), 3) == "abc");
}

// Beyond C: a SHA-512 digest gives the kernel's 68-byte ovl_metacopy, algorithm 2.
TEST_CASE("SHA-512 metacopy: len 68, digest_algo 2", "[erofs][overlay][sha512]") {
  std::string digest;
  for (int i = 0; i < 8; ++i) digest += "0123456789abcdef";
  Img img = build(kRoot + file("/s", "5000 100644 1 0 0 0 100.5 01/23456789 - " + digest));
  auto x = img.xattrs(img.at("/s"));
  REQUIRE(x.size() == 2);
  CHECK(x[0].name == "trusted.overlay.metacopy");
  std::string meta = "\x00\x44\x00\x02"s;
  for (int i = 0; i < 8; ++i) meta += "\x01\x23\x45\x67\x89\xab\xcd\xef"s;
  CHECK(x[0].value == meta);
  CHECK(x[1].value == "/01/23456789");
}

TEST_CASE("E13: hardlinks are dirents; a directory hardlink has type 2", "[erofs][hardlink]") {
  Img img = build(kRoot + file("/d", "0 40755 2 0 0 0 100.5 - - -") + file("/dl", "0 @100644 1 0 0 0 100.5 /d - -") +
                  file("/f", "0 100644 7 0 0 0 100.5 - - -") + file("/h", "0 @100644 - - - - 0.0 /f - -"));
  Ino root = img.root();
  Dent d = img.dirent(root, "d"), dl = img.dirent(root, "dl");
  CHECK(dl.type == 2);
  CHECK(dl.nid == d.nid);
  CHECK(img.dirent(root, "h").nid == img.dirent(root, "f").nid);
  CHECK(img.dirent(root, "h").type == 1);
  CHECK(root.nlink == 3);             // only /d counts
  CHECK(img.at("/f").nlink == 7);     // verbatim from the dump
  CHECK(img.inos() == 259);           // root, d, f and 256 whiteouts
  Ino di = img.inode(d.nid);
  CHECK(img.dirent(di, ".").nid == d.nid);
  CHECK(img.dirent(di, "..").nid == img.root_nid());
  CHECK(img.u64(0x418) == 100);       // the '@' line's 0.0 mtime does not count
}

TEST_CASE("E15/E16: whiteouts and the format version", "[erofs][whiteout]") {
  const std::string d = kRoot + file("/d", "0 40755 2 0 0 0 100.5 - - -");
  SECTION("E15: escaped whiteout plus another xattr overflows the budget") {
    CHECK(build_error(d + file("/d/wo", "0 20644 1 0 0 0 100.5 - - - trusted.overlay.whiteout=old user.x=1")).errnum == ERANGE);
    Img img = build(d + file("/d/wo", "0 20644 1 0 0 0 100.5 - - - trusted.overlay.whiteout=old"));
    CHECK(img.xattr_strings(img.at("/d/wo")) ==
          std::vector<std::string>{"trusted.overlay.overlay.whiteout=", "user.overlay.whiteout="});
  }
  SECTION("default: version 1 with opaque x on the parent") {
    Img img = build(d + file("/d/wo", "0 20600 1 0 0 0 100.5 - - -"));
    CHECK(img.version == 1);
    CHECK(img.u32(12) == 1);
    Ino wo = img.at("/d/wo");
    CHECK(wo.mode == 0100600);
    CHECK(wo.u == 0);
    CHECK(img.dirent(img.at("/d"), "wo").type == 1);
    CHECK(img.xattr_strings(img.at("/d")) ==
          std::vector<std::string>{"trusted.overlay.overlay.opaque=x", "trusted.overlay.overlay.whiteouts=",
                                   "user.overlay.opaque=x", "user.overlay.whiteouts="});
  }
  SECTION("--max-version 0 keeps version 0 and drops opaque x") {
    Img img = build(d + file("/d/wo", "0 20644 1 0 0 0 100.5 - - -"), {0, 0});
    CHECK(img.version == 0);
    CHECK(img.u32(12) == 0);
    CHECK(img.xattr_strings(img.at("/d")) ==
          std::vector<std::string>{"trusted.overlay.overlay.whiteouts=", "user.overlay.whiteouts="});
  }
}

TEST_CASE("E17: trusted.overlay.* escaping on the root", "[erofs][overlay]") {
  Img img = build("/ 4096 40755 2 0 0 0 100.5 - - - trusted.overlay.redirect=/x trusted.overlay.overlay.foo=1 "
                  "user.overlay.redirect=/y trusted.overlayx=2 trusted.overlay=3\n");
  CHECK(img.xattr_strings(img.root()) ==
        std::vector<std::string>{"trusted.overlay=3", "trusted.overlay.opaque=y", "trusted.overlay.overlay.overlay.foo=1",
                                 "trusted.overlay.overlay.redirect=/x", "trusted.overlayx=2", "user.overlay.redirect=/y"});
  CHECK(img.filter(img.root()) != 0xffffffffu);
  CHECK(build(kRoot).filter(build(kRoot).root()) == 0xffefffffu);
}

TEST_CASE("root whiteouts 00..ff", "[erofs][whiteout]") {
  SECTION("all 256 are added as character devices") {
    Img img = build("/ 4096 40700 2 5 6 0 100.5 - - -\n");
    auto d = img.dirents(img.root());
    REQUIRE(d.size() == 258);
    for (int i = 0; i < 256; ++i) {
      INFO(i);
      CHECK(d[2 + size_t(i)].name == hexname(i));
      CHECK(d[2 + size_t(i)].type == 3);
      Ino w = img.inode(d[2 + size_t(i)].nid);
      CHECK(w.mode == 020644);
      CHECK(w.nlink == 1);
      CHECK(w.u == 0);
      CHECK(w.uid == 5);
      CHECK(w.gid == 6);
      CHECK(w.ino == uint32_t(i) + 1);
      CHECK(w.icount == 0);
    }
    CHECK(img.version == 0);  // automatic whiteouts do not raise the version
  }
  SECTION("a user entry 00 suppresses only that one") {
    Img img = build(kRoot + file("/00"));
    CHECK(img.inos() == 257);
    CHECK(img.dirent(img.root(), "00").type == 1);
    CHECK(img.at("/00").mode == 0100644);
    CHECK(img.dirent(img.root(), "01").type == 3);
    CHECK(img.dirent(img.root(), "ff").type == 3);
  }
  SECTION("E18: the root's selinux label is copied and shared") {
    Img img = build("/ 4096 40755 2 0 0 0 100.5 - - - security.selinux=lbl\\x00\n" + file("/00", "0 40755 1 0 0 0 100.5 - - -"));
    CHECK(img.dirent(img.root(), "00").type == 2);
    auto rx = img.xattrs(img.at("/01"));
    REQUIRE(rx.size() == 1);
    CHECK(rx[0].name == "security.selinux");
    CHECK(rx[0].value == "lbl\0"s);
    CHECK(rx[0].shared);
    CHECK(img.xattrs(img.at("/00")).empty());
  }
}

TEST_CASE("E19/E20 and the shared-xattr table", "[erofs][xattr]") {
  SECTION("E19: at most 128 shared references per inode") {
    std::string xs;
    for (int i = 0; i < 140; ++i) {
      char name[16];
      std::snprintf(name, sizeof name, "user.k%03d=v", i);
      if (i) xs += ' ';
      xs += name;
    }
    Img img = build(kRoot + file("/a", "0 100644 1 0 0 0 100.5 - - - " + xs) + file("/b", "0 100644 1 0 0 0 100.5 - - - " + xs));
    Ino a = img.at("/a");
    CHECK(img.u8(a.xattr_off() + 4) == 128);
    auto ax = img.xattrs(a);
    REQUIRE(ax.size() == 140);
    for (size_t i = 0; i < 140; ++i) {
      CHECK(ax[i].shared == (i < 128));
      CHECK(ax[i].value == "v");
    }
    CHECK(ax[0].name == "user.k000");
    CHECK(ax[128].name == "user.k128");
    CHECK(ax[139].name == "user.k139");
    // The table still holds all 140 pairs, descending: k139 first.
    uint64_t pos = img.inodes_end();
    CHECK(img.entry(pos, &pos).name == "user.k139");
    CHECK(img.entry(pos, &pos).name == "user.k138");
    CHECK(img.shared_entry(ax[127].id).name == "user.k127");
    CHECK(ax[127].id == (img.inodes_end() % 4096) / 4 + 12 * 3);  // after 12 entries of 12 bytes
    CHECK(img.u8(img.at("/b").xattr_off() + 4) == 128);
  }
  SECTION("E20: descending order and the id formula") {
    const std::string A = " user.z=1 user.k2=ab user.k=bb user.a=22 trusted.t=1", B = " user.k2=a user.k=c user.a=3", C = " user.k=a";
    Img img = build(kRoot + file("/a1", "0 100644 1 0 0 0 100.5 - - -" + A) + file("/a2", "0 100644 1 0 0 0 100.5 - - -" + A) +
                    file("/b1", "0 100644 1 0 0 0 100.5 - - -" + B) + file("/b2", "0 100644 1 0 0 0 100.5 - - -" + B) +
                    file("/c1", "0 100644 1 0 0 0 100.5 - - -" + C) + file("/c2", "0 100644 1 0 0 0 100.5 - - -" + C));
    uint64_t end = img.inodes_end();
    CHECK(end == 9600);
    CHECK(img.xattr_blkaddr() == end / 4096);
    uint32_t first_id = uint32_t((end % 4096) / 4);
    CHECK(first_id == 352);
    const std::vector<std::string> expect{"user.z=1",  "user.k2=ab", "user.k2=a", "user.k=bb",  "user.k=c",
                                          "user.k=a",  "user.a=22",  "user.a=3",  "trusted.t=1"};
    uint64_t pos = end;
    std::vector<std::string> table;
    for (size_t i = 0; i < expect.size(); ++i) {
      X x = img.entry(pos, &pos);
      table.push_back(x.name + "=" + x.value);
    }
    CHECK(table == expect);
    // a1 references them in its own (ascending) order, by id.
    auto ax = img.xattrs(img.at("/a1"));
    REQUIRE(ax.size() == 5);
    std::vector<uint32_t> ids;
    for (auto& x : ax) ids.push_back(x.id);
    CHECK(ids == std::vector<uint32_t>{first_id + 16, first_id + 12, first_id + 6, first_id + 2, first_id});
    CHECK(img.xattr_strings(img.at("/c2")) == std::vector<std::string>{"user.k=a"});
  }
}

TEST_CASE("E21: root padding moves root_nid", "[erofs][layout]") {
  std::string dump = "/ 4096 40755 2 0 0 0 100.5 - - - user.big=" + std::string(1500, 'b') + "\n";
  for (int i = 0; i < 55; ++i) dump += file("/z" + std::to_string(10 + i) + std::string(22, 'n'));
  Img img = build(dump);
  CHECK(img.root_nid() == 79);
  Ino root = img.root();
  CHECK(root.format == 0x4);
  CHECK(root.size == 4096 + 1554);
  CHECK(root.xattr_size() == 1540);
  CHECK(img.all(1152, 79 * 32 - 1152, 0));
  CHECK(root.tail_off() == 4100);  // the tail starts just inside the next block
  CHECK(img.dirents(root).size() == 258 + 55);
  CHECK(img.b.size() == 20480);
}

TEST_CASE("write_image leaves the tree unchanged and is deterministic", "[erofs]") {
  auto t = cfs::dump::parse_dump(kRoot + file("/d", "0 40755 2 0 0 0 100.5 - - - trusted.overlay.x=1") + file("/d/wo", "0 20644 1 0 0 0 100.5 - - -") +
                                     file("/f", "5 100644 1 0 0 0 100.5 a/b - -"),
                                 {});
  REQUIRE(t.ok());
  cfs::erofs::VectorSink s1, s2;
  REQUIRE(cfs::erofs::write_image(*t, {}, s1).ok());
  REQUIRE(cfs::erofs::write_image(*t, {}, s2).ok());
  CHECK(s1.data == s2.data);
  const auto* d = cfs::tree::Tree::lookup_child(*t->root(), "d");
  REQUIRE(d->xattrs.size() == 1);
  CHECK(d->xattrs[0].name == "trusted.overlay.x");
  CHECK(cfs::tree::Tree::lookup_child(*d, "wo")->type() == S_IFCHR);
}
