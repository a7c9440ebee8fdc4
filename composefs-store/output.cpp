#include "output.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "options.hpp"

namespace cfs::storetool {

void write_stdout(std::string_view text) {
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size()) die(std::string("stdout: ") + std::strerror(errno));
}

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      // Paths are bytes, not necessarily UTF-8: escape everything outside ASCII.
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string count_text(uint64_t objects, uint64_t bytes) {
  static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) v /= 1024, ++u;
  char human[32];
  std::snprintf(human, sizeof human, u ? "%.1f %s" : "%.0f %s", v, units[u]);
  return std::to_string(objects) + " objects, " + std::to_string(bytes) + " bytes (" + human + ")";
}

std::string json_count(uint64_t objects, uint64_t bytes) {
  return "{\"objects\": " + std::to_string(objects) + ", \"bytes\": " + std::to_string(bytes) + "}";
}

}  // namespace cfs::storetool
