// composefs-store command line: COMMAND STORE [IMAGE...] with options anywhere.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "util/result.hpp"

namespace cfs::storetool {

struct Options {
  std::string command;              // gc, fsck, stat
  std::string store;                // STORE
  std::vector<std::string> images;  // IMAGE...
  bool dry_run = false;             // gc --dry-run
  bool json = false;                // --json
  bool repair = false;              // fsck --repair
  int64_t grace_seconds = 3600;     // gc --grace=SECONDS
  bool help = false;
};

/// Parses argv; a usage error comes back as an Error whose message says what is wrong.
Result<Options> parse_options(int argc, char** argv);

std::string usage_text();

/// Prints "composefs-store: MSG" to stderr and exits 1.
[[noreturn]] void die(const std::string& msg);

}  // namespace cfs::storetool
