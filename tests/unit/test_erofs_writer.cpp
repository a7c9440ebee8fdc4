// erofs writer: build small dumps in memory, write them, and check the image bytes
// and fields at known offsets: header, superblock, inodes, dirents, content.
// Every expected value here was checked against composefs-c 1.0.8's mkcomposefs
// on the same dump (the images are byte-identical). Overlay, whiteout and xattr
// rules are in test_erofs_writer_overlay.cpp.
#include <catch2/catch.hpp>

#include "erofs_probe.hpp"

using namespace erofs_probe;
using namespace std::string_literals;

TEST_CASE("minimal image: header, superblock and root inode bytes", "[erofs]") {
  Img img = build(kRoot);
  CHECK(img.b.size() == 16384);
  CHECK(img.version == 0);
  CHECK(img.hex(0, 32) == "9a6278d0010000000000000000000000" + std::string(32, '0'));
  CHECK(img.all(32, 1024 - 32, 0));
  CHECK(img.hex(1024, 48) ==
        "e2e1f5e000000000060000000c002400"   // magic, checksum, compat 6, blkszbits 12, root_nid 36
        "0101000000000000" "6400000000000000"  // inos 257, build_time 100
        "05000000" "04000000" "00000000" "02000000");  // nsec 5 ("100.5"), blocks 4, meta 0, xattr 2
  CHECK(img.all(1024 + 48, 128 - 48, 0));
  // Root: compact flat plain dir, opaque=y in a 32-byte xattr area, first block 3.
  CHECK(img.hex(1152, 64) ==
        "00000600ed410200001000000000000003000000000000000000000000000000"
        "ffffefff0000000000000000" "0e040100" "6f7665726c61792e6f70617175657900");
  // The first automatic whiteout follows: char device 020644, ino 1.
  CHECK(img.hex(1216, 32) == "00000000a4210100000000000000000000000000010000000000000000000000");
  CHECK(img.inos() == 257);
  CHECK(img.root_nid() == 36);
}

TEST_CASE("header flags: ACL bit and format version", "[erofs][header]") {
  CHECK(build(kRoot).u32(8) == 0);
  CHECK(build(kRoot + file("/a", "0 100644 1 0 0 0 100.5 - - - system.posix_acl_access=\\x02\\x00")).u32(8) == 1);
  CHECK(build(kRoot + file("/d", "0 40755 2 0 0 0 100.5 - - - system.posix_acl_default=x")).u32(8) == 1);
  CHECK(build(kRoot + file("/a", "0 100644 1 0 0 0 100.5 - - - system.posix_acl_accessX=1")).u32(8) == 0);
  Img v1 = build(kRoot, {1, 1});
  CHECK(v1.version == 1);
  CHECK(v1.u32(12) == 1);
  CHECK(build(kRoot, {0, 0}).u32(12) == 0);
  CHECK(build(kRoot, {1, 0}).version == 1);  // max below min is raised to min
  CHECK(build_error(kRoot, {2, 2}).errnum == EINVAL);
  CHECK(build_error(kRoot, {0, 2}).errnum == EINVAL);
}

TEST_CASE("build_time is the minimum mtime; older inodes become extended", "[erofs][superblock]") {
  SECTION("E2: one older file makes the root and whiteouts extended") {
    Img img = build(kRoot + file("/a", "0 100644 1 0 0 0 99.7 - - -"));
    CHECK(img.u64(0x418) == 99);
    CHECK(img.u32(0x420) == 7);
    CHECK(img.b.size() == 24576);
    Ino root = img.root();
    CHECK(root.ext);
    CHECK(root.mtime == 100);
    CHECK(root.nsec == 5);
    CHECK_FALSE(img.at("/a").ext);
    Ino wo = img.at("/00");
    CHECK(wo.ext);
    CHECK(wo.mtime == 100);
  }
  SECTION("E3: negative seconds are stored as u64") {
    Img img = build(kRoot + file("/neg", "0 100644 1 0 0 0 -1.0 - - -"));
    CHECK(img.u64(0x418) == 0xffffffffffffffffull);
    CHECK(img.u32(0x420) == 0);
    CHECK_FALSE(img.at("/neg").ext);
    CHECK(img.root().ext);
    CHECK(img.inos() == 258);
  }
}

TEST_CASE("E1: names sort bytewise, before and after '.' and the whiteouts", "[erofs][dirent]") {
  Img img = build(kRoot + file("/\\x20sp") + file("/+plus") + file("/-dash") + file("/\\xff") + file("/Z") + file("/a"));
  auto d = img.dirents(img.root());
  std::vector<std::string> names;
  for (auto& e : d) names.push_back(e.name);
  REQUIRE(names.size() == 264);
  CHECK(std::vector<std::string>(names.begin(), names.begin() + 6) ==
        std::vector<std::string>{" sp", "+plus", "-dash", ".", "..", "00"});
  // Bytewise: "Z" (0x5a) sorts between "9f" and "a0", "a" just before "a0", 0xff last.
  auto pos = [&](std::string_view n) { return std::find(names.begin(), names.end(), n) - names.begin(); };
  CHECK(pos("Z") == pos("9f") + 1);
  CHECK(pos("a") == pos("Z") + 1);
  CHECK(pos("a0") == pos("a") + 1);
  CHECK(names[262] == "ff");
  CHECK(names[263] == "\xff");
  CHECK(std::is_sorted(names.begin(), names.end()));
  // Inodes (and so nids and i_ino) follow the same order, skipping "." and "..".
  uint64_t prev_nid = img.root_nid();
  uint32_t ino = 0;
  for (auto& e : d) {
    if (e.name == "." || e.name == "..") {
      CHECK(e.nid == img.root_nid());
      CHECK(e.type == 2);
      continue;
    }
    INFO(e.name);
    CHECK(e.nid > prev_nid);
    CHECK(img.inode(e.nid).ino == ++ino);
    prev_nid = e.nid;
  }
  CHECK(img.inos() == 263);
}

TEST_CASE("E5/E6: compact versus extended thresholds", "[erofs][inode]") {
  Img img = build(kRoot + file("/u1", "0 100644 1 65535 65535 0 100.5 - - -") + file("/u2", "0 100644 1 65536 0 0 100.5 - - -") +
                  file("/g2", "0 100644 1 0 65536 0 100.5 - - -") + file("/n1", "0 100644 65535 0 0 0 100.5 - - -") +
                  file("/n2", "0 100644 65536 0 0 0 100.5 - - -") + file("/s1", "4294967295 100644 1 0 0 0 100.5 - - -") +
                  file("/fifo", "99999999999 10644 1 0 0 0 100.5 - - -"));
  Ino u1 = img.at("/u1");
  CHECK_FALSE(u1.ext);
  CHECK(u1.uid == 65535);
  CHECK(u1.gid == 65535);
  Ino u2 = img.at("/u2");
  CHECK(u2.ext);
  CHECK(u2.uid == 65536);
  CHECK(u2.mtime == 100);
  CHECK(u2.nsec == 5);
  CHECK(img.at("/g2").ext);
  CHECK(img.at("/g2").gid == 65536);
  CHECK_FALSE(img.at("/n1").ext);
  CHECK(img.at("/n1").nlink == 65535);
  CHECK(img.at("/n2").ext);
  CHECK(img.at("/n2").nlink == 65536);
  CHECK_FALSE(img.at("/s1").ext);
  Ino fifo = img.at("/fifo");
  CHECK(fifo.ext);  // SIZE > 4 GiB decides, although i_size is written as 0
  CHECK(fifo.size == 0);
  CHECK(fifo.format == 0x1);
  CHECK(fifo.mode == 010644);
  CHECK(img.dirent(img.root(), "fifo").type == 5);
}

TEST_CASE("devices, sockets and directories", "[erofs][inode]") {
  Img img = build(kRoot + file("/c", "0 20644 1 0 0 2049 100.5 - - -") + file("/b", "0 60600 1 0 0 2050 100.5 - - -") +
                  file("/s", "0 140644 1 0 0 0 100.5 - - -") + file("/e", "0 40700 9 0 0 0 100.5 - - -") +
                  file("/m", "0 1100644 1 0 0 0 100.5 - - -"));
  Ino c = img.at("/c");
  CHECK(c.u == 2049);
  CHECK(c.mode == 020644);
  CHECK(img.at("/b").u == 2050);
  CHECK(img.at("/s").u == 0);
  CHECK(img.dirent(img.root(), "c").type == 3);
  CHECK(img.dirent(img.root(), "b").type == 4);
  CHECK(img.dirent(img.root(), "s").type == 6);
  Ino e = img.at("/e");
  CHECK(e.format == 0x4);  // "." and ".." inline: 27 bytes
  CHECK(e.size == 27);
  CHECK(e.nlink == 2);     // recomputed, the dump said 9
  CHECK(img.str(e.tail_off() + 24, 3) == "...");
  CHECK(img.root().nlink == 3);
  CHECK(img.at("/m").mode == 0100644);
  CHECK(img.version == 0);  // a device with rdev != 0 is not a whiteout
}

TEST_CASE("E7: symlink targets inline or in their own block", "[erofs][symlink]") {
  SECTION("4063 bytes stay inline, the inode starts a block") {
    Img img = build(kRoot + file("/l", "4063 120777 1 0 0 0 100.5 " + std::string(4063, 'a') + " - -"));
    Ino l = img.at("/l");
    CHECK(l.off % 4096 == 0);
    CHECK(l.format == 0x4);
    CHECK(l.size == 4063);
    CHECK(img.str(l.tail_off(), 4063) == std::string(4063, 'a'));
    CHECK(img.dirent(img.root(), "l").type == 7);
    CHECK(img.b.size() == 20480);
  }
  SECTION("4064 bytes move to a data block") {
    Img img = build(kRoot + file("/l", "4064 120777 1 0 0 0 100.5 " + std::string(4064, 'a') + " - -"));
    Ino l = img.at("/l");
    CHECK(l.off % 4096 == 0);
    CHECK(l.format == 0x0);
    CHECK(l.size == 4064);
    CHECK(l.u == img.root().u + 1);
    CHECK(img.str(uint64_t(l.u) * 4096, 4064) == std::string(4064, 'a'));
    CHECK(img.all(uint64_t(l.u) * 4096 + 4064, 32, 0));
    CHECK(img.b.size() == 24576);
  }
}

TEST_CASE("E8: inline content placement", "[erofs][content]") {
  SECTION("2048 bytes: inode at 8160, data at 8192") {
    // "c" follows 192 whiteouts, so the inode would start at 7360 and its tail cross 8192.
    Img img = build(kRoot + file("/c", "2048 100644 1 0 0 0 100.5 - " + std::string(2048, 'c') + " -"));
    Ino f = img.at("/c");
    CHECK(f.off == 8160);
    CHECK(f.format == 0x4);
    CHECK(f.u == 0);
    CHECK(f.tail_off() == 8192);
    CHECK(img.str(8192, 2048) == std::string(2048, 'c'));
    CHECK(img.xattrs(f).empty());
  }
  SECTION("2049 bytes: its own block") {
    Img img = build(kRoot + file("/f", "2049 100644 1 0 0 0 100.5 - " + std::string(2049, 'c') + " -"));
    Ino f = img.at("/f");
    CHECK(f.format == 0x0);
    CHECK(f.size == 2049);
    CHECK(f.u == img.root().u + 1);
    CHECK(img.str(uint64_t(f.u) * 4096, 2049) == std::string(2049, 'c'));
    CHECK(img.all(uint64_t(f.u) * 4096 + 2049, 4096 - 2049, 0));
  }
  SECTION("4097 bytes: a block plus a 1-byte tail") {
    Img img = build(kRoot + file("/f", "4097 100644 1 0 0 0 100.5 - " + std::string(4096, 'c') + "d -"));
    Ino f = img.at("/f");
    CHECK(f.format == 0x4);
    CHECK(f.size == 4097);
    CHECK(img.all(uint64_t(f.u) * 4096, 4096, 'c'));
    CHECK(img.u8(f.tail_off()) == 'd');
  }
}

TEST_CASE("chunk-based files: format and null chunk table", "[erofs][chunk]") {
  struct Case {
    uint64_t size;
    uint16_t format;
    uint32_t chunk_format;
    unsigned chunks;
  };
  const std::vector<Case> cases = {{1, 0x8, 0, 1},           {4096, 0x8, 0, 1},          {4097, 0x8, 1, 1},
                                   {1ull << 43, 0x9, 31, 1}, {(1ull << 43) + 1, 0x9, 31, 2}};
  std::string dump = kRoot;
  for (size_t i = 0; i < cases.size(); ++i) dump += file("/f" + std::to_string(i), std::to_string(cases[i].size) + " 100644 1 0 0 0 100.5 - - -");
  Img img = build(dump);
  for (size_t i = 0; i < cases.size(); ++i) {
    INFO("size " << cases[i].size);
    Ino f = img.at("/f" + std::to_string(i));
    CHECK(f.format == cases[i].format);
    CHECK(f.size == cases[i].size);
    CHECK(f.u == cases[i].chunk_format);
    CHECK(img.all(f.tail_off(), 4 * cases[i].chunks, 0xff));
    CHECK(img.u32(f.tail_off() + 4 * cases[i].chunks) != 0xffffffffu);  // the table ends there
    CHECK(img.xattr_strings(f) == std::vector<std::string>{"trusted.overlay.metacopy="});
  }
}

TEST_CASE("E9: a 2^53-byte file with an xattr, and 2^53+1", "[erofs][chunk]") {
  Img img = build(kRoot + file("/bigfile", "9007199254740992 100777 1 0 0 0 0.0 - - - user.foo="));
  Ino f = img.at("/bigfile");
  CHECK(f.off % 4096 == 0);
  CHECK(f.format == 0x9);
  CHECK(f.u == 0x1f);
  CHECK(f.size == 9007199254740992ull);
  CHECK(img.xattr_strings(f) == std::vector<std::string>{"trusted.overlay.metacopy=", "user.foo="});
  uint32_t ff_block = img.root().u + 1;  // BFS order: the root's dirent block, then this one
  CHECK(img.all(uint64_t(ff_block) * 4096, 4096, 0xff));
  CHECK(img.blocks() == ff_block + 1);
  CHECK(img.b.size() == 32768);

  auto err = build_error(kRoot + file("/bigfile", "9007199254740993 100777 1 0 0 0 0.0 - - -"));
  CHECK(err.errnum == EFBIG);
}
