// Test support for the EROFS writer tests: build an image from a dump held in a
// string and look at its fields at known offsets (header, superblock, inodes,
// dirents, xattrs), checked with REQUIRE as it goes.
#pragma once

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

namespace erofs_probe {

using namespace std::string_literals;


inline const std::string kRoot = "/ 4096 40755 2 0 0 0 100.5 - - -\n";

inline std::string file(const std::string& path, const std::string& rest = "0 100644 1 0 0 0 100.5 - - -") {
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

inline Img build(const std::string& dump, cfs::erofs::WriteOptions opts = {}) {
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

inline cfs::Error build_error(const std::string& dump, cfs::erofs::WriteOptions opts = {}) {
  auto t = cfs::dump::parse_dump(dump, {});
  if (!t) FAIL("parse: " << t.error().msg);
  cfs::erofs::VectorSink sink;
  auto r = cfs::erofs::write_image(*t, opts, sink);
  REQUIRE_FALSE(r.ok());
  return r.error();
}

inline std::string hexname(int i) { return {"0123456789abcdef"[i >> 4], "0123456789abcdef"[i & 15]}; }


}  // namespace erofs_probe
