// Text and JSON output of composefs-store.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace cfs::storetool {

/// Writes to stdout; dies on a write error.
void write_stdout(std::string_view text);

/// `s` as a JSON string literal (quotes included); bytes that are not valid
/// UTF-8 text come out as \u00XX escapes of the byte, so the document stays valid.
std::string json_string(std::string_view s);

/// "N objects, B bytes (H)" with H a human-readable size.
std::string count_text(uint64_t objects, uint64_t bytes);

/// {"objects": N, "bytes": B}
std::string json_count(uint64_t objects, uint64_t bytes);

}  // namespace cfs::storetool
