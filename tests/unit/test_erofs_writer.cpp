// erofs writer: build small dumps in memory, write them, and check the image bytes
// and fields at known offsets. Every expected value here was checked against
// composefs-c 1.0.8's mkcomposefs on the same dump (the images are byte-identical).
#include <algorithm>
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdint>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <vector>

#include "dump/parse.hpp"
#include "erofs/writer.hpp"

using namespace std::string_literals;

namespace {

const std::string kRoot = "/ 4096 40755 2 0 0 0 100.5 - - -\n";

std::string file(const std::string& path, const std::string& rest = "0 100644 1 0 0 0 100.5 - - -") {
  return path + " " + rest + "\n";
}

struct Ino {
  uint64_t off = 0;
  bool ext = false;
  uint16_t format = 0, icount = 0, mode = 0;
  uint64_t size = 0;
  uint32_t u = 0, ino = 0, uid = 0, gid = 0, nlink = 0, nsec = 0;
  int64_t mtime = 0;
  uint64_t nid() const { return off / 32; }
  unsigned layout() const { return format >> 1; }
  uint64_t xattr_off() const { return off + (ext ? 64 : 32); }
  uint64_t xattr_size() const { return icount ? 12 + (icount - 1) * 4ull : 0; }
  uint64_t tail_off() const { return xattr_off() + xattr_size(); }
};

struct Dent {
  std::string name;
  uint64_t nid;
  uint8_t type;
};

struct X {
  std::string name;  // full name, prefix restored
  std::string value;
  bool shared;
  uint32_t id;  // shared id (shared entries only)
};

// A minimal reader for the images under test (just enough to follow dirents/xattrs).
struct Img {
  std::vector<uint8_t> b;
  uint32_t version = 0;

  // Bounds checks FAIL only when violated, so reads do not count as assertions.
  void in_bounds(uint64_t o, uint64_t n) const {
    if (o + n > b.size()) FAIL("read of " << n << " bytes at " << o << " beyond image size " << b.size());
  }
  uint64_t le(uint64_t o, unsigned n) const {
    in_bounds(o, n);
    uint64_t v = 0;
    for (unsigned i = 0; i < n; ++i) v |= uint64_t(b[o + i]) << (8 * i);
    return v;
  }
  uint8_t u8(uint64_t o) const { return static_cast<uint8_t>(le(o, 1)); }
  uint16_t u16(uint64_t o) const { return static_cast<uint16_t>(le(o, 2)); }
  uint32_t u32(uint64_t o) const { return static_cast<uint32_t>(le(o, 4)); }
  uint64_t u64(uint64_t o) const { return le(o, 8); }
  std::string str(uint64_t o, uint64_t n) const {
    in_bounds(o, n);
    return std::string(b.begin() + static_cast<long>(o), b.begin() + static_cast<long>(o + n));
  }
  bool all(uint64_t o, uint64_t n, uint8_t v) const {
    in_bounds(o, n);
    return std::all_of(b.begin() + static_cast<long>(o), b.begin() + static_cast<long>(o + n), [v](uint8_t c) { return c == v; });
  }
  std::string hex(uint64_t o, uint64_t n) const {
    std::string s;
    for (uint8_t c : str(o, n)) s += "0123456789abcdef"[c >> 4], s += "0123456789abcdef"[c & 15];
    return s;
  }

  uint64_t root_nid() const { return u16(0x40e); }
  uint64_t inos() const { return u64(0x410); }
  uint32_t blocks() const { return u32(0x424); }
  uint32_t xattr_blkaddr() const { return u32(0x42c); }

  Ino inode(uint64_t nid) const {
    Ino i;
    i.off = nid * 32;
    i.format = u16(i.off);
    i.ext = i.format & 1;
    i.icount = u16(i.off + 2);
    i.mode = u16(i.off + 4);
    i.u = u32(i.off + 16);
    i.ino = u32(i.off + 20);
    if (i.ext) {
      if (u16(i.off + 6) != 0) FAIL_CHECK("extended i_reserved not zero at " << i.off);
      i.size = u64(i.off + 8);
      i.uid = u32(i.off + 24);
      i.gid = u32(i.off + 28);
      i.mtime = static_cast<int64_t>(u64(i.off + 32));
      i.nsec = u32(i.off + 40);
      i.nlink = u32(i.off + 44);
      if (!all(i.off + 48, 16, 0)) FAIL_CHECK("extended i_reserved2 not zero at " << i.off);
    } else {
      i.nlink = u16(i.off + 6);
      i.size = u32(i.off + 8);
      if (u32(i.off + 12) != 0) FAIL_CHECK("compact i_reserved not zero at " << i.off);
      i.uid = u16(i.off + 24);
      i.gid = u16(i.off + 26);
      if (u32(i.off + 28) != 0) FAIL_CHECK("compact i_reserved2 not zero at " << i.off);
      i.mtime = static_cast<int64_t>(u64(0x418));  // compact inodes use build_time
      i.nsec = u32(0x420);
    }
    return i;
  }
  Ino root() const { return inode(root_nid()); }

  std::vector<Dent> dirents(const Ino& d) const {
    if ((d.mode & S_IFMT) != S_IFDIR) FAIL("not a directory: nid " << d.nid());
    std::vector<Dent> out;
    uint64_t nblocks = (d.size + 4095) / 4096;
    bool reserved_zero = true;
    for (uint64_t blk = 0; blk < nblocks; ++blk) {
      bool inl = d.layout() == 2 && blk == nblocks - 1;
      uint64_t base = inl ? d.tail_off() : (uint64_t(d.u) + blk) * 4096;
      uint64_t len = std::min<uint64_t>(4096, d.size - blk * 4096);
      uint64_t n = u16(base + 8) / 12;
      for (uint64_t k = 0; k < n; ++k) {
        uint64_t nameoff = u16(base + 12 * k + 8);
        uint64_t end = k + 1 < n ? u16(base + 12 * (k + 1) + 8) : len;
        std::string name = str(base + nameoff, end - nameoff);
        if (k + 1 == n) name.erase(std::find(name.begin(), name.end(), '\0'), name.end());
        reserved_zero = reserved_zero && u8(base + 12 * k + 11) == 0;
        out.push_back({name, u64(base + 12 * k), u8(base + 12 * k + 10)});
      }
    }
    if (!reserved_zero) FAIL_CHECK("dirent reserved byte not zero in nid " << d.nid());
    return out;
  }
  Dent dirent(const Ino& d, std::string_view name) const {
    for (auto& e : dirents(d))
      if (e.name == name) return e;
    FAIL("no dirent " << name);
    return {};
  }
  Ino at(std::string_view path) const {  // "/a/b"
    Ino cur = root();
    while (!path.empty()) {
      path.remove_prefix(1);
      auto name = path.substr(0, path.find('/'));
      path.remove_prefix(name.size());
      cur = inode(dirent(cur, name).nid);
    }
    return cur;
  }

  X entry(uint64_t pos, uint64_t* next = nullptr) const {
    static const char* prefixes[] = {"", "user.", "system.posix_acl_access", "system.posix_acl_default",
                                     "trusted.", "lustre.", "security."};
    uint8_t nl = u8(pos), idx = u8(pos + 1);
    uint16_t vs = u16(pos + 2);
    if (idx > 6) FAIL("bad xattr prefix index " << int(idx) << " at " << pos);
    if (next) *next = pos + (4 + nl + vs + 3) / 4 * 4;
    return {prefixes[idx] + str(pos + 4, nl), str(pos + 4 + nl, vs), false, 0};
  }
  X shared_entry(uint32_t id, uint64_t* next = nullptr) const {
    X x = entry(uint64_t(xattr_blkaddr()) * 4096 + uint64_t(id) * 4, next);
    x.shared = true;
    x.id = id;
    return x;
  }
  uint32_t filter(const Ino& i) const { return u32(i.xattr_off()); }
  std::vector<X> xattrs(const Ino& i) const {
    std::vector<X> out;
    if (!i.icount) return out;
    uint64_t o = i.xattr_off();
    uint8_t sc = u8(o + 4);
    if (!all(o + 5, 7, 0)) FAIL_CHECK("xattr header reserved bytes not zero at " << o);
    for (unsigned s = 0; s < sc; ++s) out.push_back(shared_entry(u32(o + 12 + 4 * s)));
    uint64_t p = o + 12 + 4 * sc, end = o + i.xattr_size();
    while (p < end) out.push_back(entry(p, &p));
    if (p != end) FAIL_CHECK("xattr entries overrun the area: " << p << " != " << end);
    return out;
  }
  std::vector<std::string> xattr_strings(const Ino& i) const {
    std::vector<std::string> out;
    for (const auto& x : xattrs(i)) out.push_back(x.name + "=" + x.value);
    return out;
  }
  // End of the inode area: the furthest inode (with xattrs and inline tail), rounded to 32.
  uint64_t inodes_end() const {
    uint64_t end = 0;
    std::vector<uint64_t> todo{root_nid()}, seen;
    while (!todo.empty()) {
      uint64_t nid = todo.back();
      todo.pop_back();
      if (std::find(seen.begin(), seen.end(), nid) != seen.end()) continue;
      seen.push_back(nid);
      Ino i = inode(nid);
      uint64_t tail = 0;
      if ((i.mode & S_IFMT) == S_IFDIR) {
        for (auto& e : dirents(i)) todo.push_back(e.nid);
        if (i.layout() == 2) tail = i.size % 4096;
      } else if (i.layout() == 2) {
        tail = i.size % 4096;
      }
      end = std::max(end, i.tail_off() + tail);  // chunk tables are not counted: none here
    }
    return (end + 31) / 32 * 32;
  }
};

Img build(const std::string& dump, cfs::erofs::WriteOptions opts = {}) {
  auto t = cfs::dump::parse_dump(dump, {});
  if (!t) FAIL("parse: " << t.error().msg);
  cfs::erofs::VectorSink sink;
  auto r = cfs::erofs::write_image(*t, opts, sink);
  if (!r) FAIL("write: " << r.error().msg);
  REQUIRE(r->size == sink.data.size());
  REQUIRE(sink.data.size() % 4096 == 0);
  Img img{std::move(sink.data), r->version};
  CHECK(uint64_t(img.blocks()) * 4096 == img.b.size());
  return img;
}

cfs::Error build_error(const std::string& dump, cfs::erofs::WriteOptions opts = {}) {
  auto t = cfs::dump::parse_dump(dump, {});
  if (!t) FAIL("parse: " << t.error().msg);
  cfs::erofs::VectorSink sink;
  auto r = cfs::erofs::write_image(*t, opts, sink);
  REQUIRE_FALSE(r.ok());
  return r.error();
}

std::string hexname(int i) { return {"0123456789abcdef"[i >> 4], "0123456789abcdef"[i & 15]}; }

}  // namespace

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
