// Helpers shared by the fuzz targets. A broken invariant must stop the process
// loudly (abort), so libFuzzer records the input and the replay test fails.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dump/print.hpp"
#include "erofs/writer.hpp"
#include "tree/tree.hpp"

// The libFuzzer entry point each target defines (declared for -Wmissing-declarations).
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace cfs::fuzz {

[[noreturn]] inline void fail(const std::string& what) {
  std::fprintf(stderr, "fuzz invariant broken: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

inline void check(bool ok, const char* what) {
  if (!ok) fail(what);
}

// Runs every printer composefs-info uses (ls, dump, objects) and returns the dump
// text; the ls output is only counted so nothing is optimised away.
inline std::string print_all(const tree::Tree& tree) {
  std::string dump;
  size_t ls_bytes = 0;
  dump::print_ls(*tree.root(), [&](std::string_view s) { ls_bytes += s.size(); });
  dump::print_dump(*tree.root(), [&](std::string_view s) { dump.append(s); });
  std::set<std::string> objects;
  dump::collect_objects(*tree.root(), {}, objects);
  // ls prints a line per entry below the root, so it cannot be empty when there are
  // objects (each is a regular file's payload).
  check(objects.empty() || ls_bytes > 0, "objects listed but ls printed nothing");
  return dump;
}

// Writes `tree` at exactly `version` (composefs-dump's choice) into memory.
inline Result<std::vector<uint8_t>> write_at(const tree::Tree& tree, uint32_t version) {
  erofs::VectorSink sink;
  auto written = erofs::write_image(tree, {version, version}, sink);
  if (!written) return written.take_error();
  check(written->size == sink.data.size(), "WriteResult::size differs from the bytes written");
  check(written->version == version, "writer changed a pinned version");
  return std::move(sink.data);
}

}  // namespace cfs::fuzz
