// composefs-dump(5) field escaping: backslash escapes on read, and the C tools'
// exact escaping rules on print.
#pragma once

#include <string>
#include <string_view>

#include "util/result.hpp"

namespace cfs::dump {

/// Decodes `\\`, `\n`, `\r`, `\t` and `\xHH` (lower-case x, hex digits of either case).
/// Any other escape, or a backslash at the end, is an error.
Result<std::string> unescape(std::string_view field);

/// Like unescape, without a copy when `field` has no backslash: the result is then
/// `field` itself, else the decoded bytes in `scratch` (valid until its next use).
Result<std::string_view> unescape_into(std::string_view field, std::string& scratch);

/// How print escaping treats a field (values combine as bit flags).
enum EscapeFlags : unsigned {
  ESCAPE_STANDARD = 0,   // hex-escape everything that is not a graphic ASCII character
  NOESCAPE_SPACE = 1,    // keep ' ' as is (composefs-info ls)
  ESCAPE_EQUAL = 2,      // hex-escape '=' (xattr names and values)
  ESCAPE_LONE_DASH = 4,  // a field that is exactly "-" is written "\x2d"
};

/// Appends `value` escaped as the C tools print it.
void append_escaped(std::string& out, std::string_view value, unsigned flags);

}  // namespace cfs::dump
