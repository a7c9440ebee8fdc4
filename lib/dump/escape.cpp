#include "dump/escape.hpp"

#include <array>

#include "util/hex.hpp"

namespace cfs::dump {

Result<std::string> unescape(std::string_view field) {
  size_t first = field.find('\\');
  if (first == std::string_view::npos) return std::string(field);  // the common case
  std::string out(field.substr(0, first));
  out.reserve(field.size());
  for (size_t i = first; i < field.size(); ++i) {
    char c = field[i];
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i == field.size()) return make_error(EINVAL, "no character after escape '\\'");
    switch (field[i]) {
      case '\\': out += '\\'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'x': {
        if (field.size() - i < 3) return make_error(EINVAL, "incomplete \\x escape");
        int hi = hex_value(field[i + 1]), lo = hex_value(field[i + 2]);
        if (hi < 0 || lo < 0) return make_error(EINVAL, "invalid hex digits in \\x escape");
        out += static_cast<char>(hi << 4 | lo);
        i += 2;
        break;
      }
      default:
        return make_error(EINVAL, std::string("unsupported escape '\\") + field[i] + "'");
    }
  }
  return out;
}

Result<std::string_view> unescape_into(std::string_view field, std::string& scratch) {
  if (field.find('\\') == std::string_view::npos) return field;
  scratch = CFS_TRY(unescape(field));
  return std::string_view(scratch);
}

namespace {

// True for a byte printed as itself. C locale: isgraph is 0x21-0x7e, isprint
// adds the space (kept with NOESCAPE_SPACE).
constexpr bool prints_as_is(unsigned char c, unsigned flags) {
  if (c >= 0x21 && c <= 0x7e) return c != '\\' && !(c == '=' && (flags & ESCAPE_EQUAL));
  return c == ' ' && (flags & NOESCAPE_SPACE);
}

// prints_as_is for each byte under each combination of the two flags it reads.
constexpr auto kAsIs = [] {
  std::array<std::array<bool, 256>, 4> t{};
  for (unsigned f = 0; f < 4; ++f)
    for (unsigned c = 0; c < 256; ++c) t[f][c] = prints_as_is(static_cast<unsigned char>(c), f);
  return t;
}();

void append_escape(std::string& out, unsigned char c) {
  static const char digits[] = "0123456789abcdef";
  switch (c) {
    case '\\': out += "\\\\"; return;
    case '\n': out += "\\n"; return;
    case '\r': out += "\\r"; return;
    case '\t': out += "\\t"; return;
    default: break;
  }
  const char hex[4] = {'\\', 'x', digits[c >> 4], digits[c & 0xf]};
  out.append(hex, 4);
}

}  // namespace

void append_escaped(std::string& out, std::string_view value, unsigned flags) {
  if ((flags & ESCAPE_LONE_DASH) && value == "-") {
    out += "\\x2d";
    return;
  }
  // Runs of plain bytes are appended in one piece (a dump is mostly those).
  const auto& as_is = kAsIs[flags & (NOESCAPE_SPACE | ESCAPE_EQUAL)];
  size_t i = 0;
  while (i < value.size()) {
    size_t j = i;
    while (j < value.size() && as_is[static_cast<unsigned char>(value[j])]) ++j;
    out.append(value.data() + i, j - i);
    if (j == value.size()) break;
    append_escape(out, static_cast<unsigned char>(value[j]));
    i = j + 1;
  }
}

}  // namespace cfs::dump
