// composefs-info command line, parsed as C's getopt_long loop does (options may
// follow the command; GNU argument permutation).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "format/digest.hpp"

namespace cfs::info {

struct Options {
  std::optional<std::string> basedir;  // --basedir=DIR
  std::vector<std::string> filter;     // --filter=NAME, repeatable
  format::HashAlg hash = format::HashAlg::sha256;  // --hash=ALG for measure-file (not in C)
  bool help = false;                   // --help (not in C)
  std::string command;                 // ls, dump, objects, ...
  std::vector<std::string> args;       // images, or files for measure-file
};

/// Parses argv; on a usage error prints C's messages and exits 1.
Options parse_options(int argc, char** argv);

/// Prints C's one-line usage to stderr.
void print_usage(const char* argv0);

/// The --help text.
std::string help_text(const char* argv0);

/// Prints "composefs-info: MSG" to stderr and exits 1.
[[noreturn]] void die(const std::string& msg);

}  // namespace cfs::info
