#include "dump/escape.hpp"

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

void append_escaped(std::string& out, std::string_view value, unsigned flags) {
  static const char digits[] = "0123456789abcdef";
  if ((flags & ESCAPE_LONE_DASH) && value == "-") {
    out += "\\x2d";
    return;
  }
  for (char ch : value) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '\\': out += "\\\\"; continue;
      case '\n': out += "\\n"; continue;
      case '\r': out += "\\r"; continue;
      case '\t': out += "\\t"; continue;
      default: break;
    }
    // C locale: isgraph is 0x21-0x7e, isprint adds the space.
    bool printable = (flags & NOESCAPE_SPACE) ? (c >= 0x20 && c <= 0x7e) : (c >= 0x21 && c <= 0x7e);
    bool hex = !printable || (c == '=' && (flags & ESCAPE_EQUAL));
    if (hex) {
      out += "\\x";
      out += digits[c >> 4];
      out += digits[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
}

}  // namespace cfs::dump
