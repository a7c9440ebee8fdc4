// composefs-dump(5) text -> tree.
//
// Accepts what composefs-c 1.0.8's mkcomposefs accepts on valid input (unsorted
// entries, forward hardlink targets, `-` fields, every escape) and rejects plainly
// invalid input the C parser lets through: digests that are not 64 (SHA-256) or 128
// (SHA-512, beyond C) hex digits or mix the two, NULs in
// names and paths, integers that overflow their on-disk field, repeated xattr names,
// and lines with fewer than 11 fields.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "tree/tree.hpp"
#include "util/result.hpp"

namespace cfs::dump {

struct ParseOptions {
  /// CFS_PARSE_STRICT: also reject a missing final newline, RDEV on non-devices,
  /// a symlink SIZE other than the target length, and symlinks with CONTENT.
  bool strict = false;
};

/// Incremental parser: feed lines (without their '\n') in order, then finish().
/// Errors read "line N: what is wrong".
class DumpParser {
 public:
  explicit DumpParser(ParseOptions options);
  ~DumpParser();
  DumpParser(const DumpParser&) = delete;
  DumpParser& operator=(const DumpParser&) = delete;

  Result<void> add_line(std::string_view line);
  /// Resolves hardlinks and sorts directories. `ended_with_newline` says whether the
  /// input's last byte was '\n' (strict mode rejects it otherwise).
  Result<tree::Tree> finish(bool ended_with_newline);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

/// Parses a whole dump held in memory.
Result<tree::Tree> parse_dump(std::string_view text, ParseOptions options);

/// Parses a dump read from `fd`, transparently gunzipping it.
Result<tree::Tree> parse_dump_fd(int fd, ParseOptions options);

}  // namespace cfs::dump
