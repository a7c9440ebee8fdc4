// The ls and dump line formats of composefs-c 1.0.8's tools/composefs-info.c.
#include <charconv>

#include "dump/entry.hpp"
#include "dump/escape.hpp"

namespace cfs::dump {
namespace {

constexpr uint32_t kDir = 0040000;
constexpr uint32_t kSymlink = 0120000;
constexpr uint32_t kRegular = 0100000;

template <class T>
void append_number(std::string& out, T v, int base = 10) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v, base);
  out.append(buf, r.ptr);
}

void append_digest(std::string& out, const format::Digest& d) {
  static const char digits[] = "0123456789abcdef";
  for (uint8_t b : d) {
    out += digits[b >> 4];
    out += digits[b & 0xf];
  }
}

}  // namespace

void append_ls_line(std::string& out, std::string_view path, const EntryView& e, bool hardlink) {
  append_escaped(out, path, NOESCAPE_SPACE);
  // matches C: a hardlink entry has no inode fields of its own (mode 0), so it
  // prints as a bare path.
  const uint32_t type = hardlink ? 0 : e.type();
  if (type == kDir) {
    out += "/\t";
  } else if (type == kSymlink) {
    out += "\t-> ";
    append_escaped(out, e.payload.value_or(""), ESCAPE_STANDARD);
  } else if (type == kRegular && e.payload) {
    out += "\t@ ";
    append_escaped(out, *e.payload, ESCAPE_STANDARD);
  }
  out += '\n';
}

void append_dump_line(std::string& out, std::string_view path, const EntryView& e,
                      const std::string_view* hardlink_target) {
  append_escaped(out, path, ESCAPE_STANDARD);
  out += ' ';
  append_number(out, e.size);
  out += ' ';
  if (hardlink_target) out += '@';
  append_number(out, e.mode, 8);
  for (uint32_t v : {e.nlink, e.uid, e.gid, e.rdev}) {
    out += ' ';
    append_number(out, v);
  }
  out += ' ';
  append_number(out, e.mtime_sec);
  out += '.';
  append_number(out, e.mtime_nsec);
  out += ' ';
  if (hardlink_target)
    append_escaped(out, *hardlink_target, ESCAPE_LONE_DASH);
  else if (e.payload)
    append_escaped(out, *e.payload, ESCAPE_LONE_DASH);
  else
    out += '-';
  out += ' ';
  // matches C: content prints with the inode size as its length, so a file turned
  // back into a whiteout (size 0) that had content prints an empty field.
  if (e.content.empty())
    out += '-';
  else
    append_escaped(out, e.content.substr(0, e.size), ESCAPE_LONE_DASH);
  out += ' ';
  if (e.digest)
    append_digest(out, *e.digest);
  else
    out += '-';
  for (const XattrView& x : e.xattrs) {
    out += ' ';
    append_escaped(out, x.name, ESCAPE_EQUAL);
    out += '=';
    append_escaped(out, x.value, ESCAPE_EQUAL);
  }
  out += '\n';
}

}  // namespace cfs::dump
