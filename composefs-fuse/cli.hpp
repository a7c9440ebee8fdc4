// composefs-fuse's command line: our options are taken out, libfuse's (-f, -d,
// -s, -o allow_other, ...) are left for fuse_parse_cmdline and the session.
#pragma once

#include <fuse_lowlevel.h>

#include <optional>
#include <string>
#include <vector>

#include "util/result.hpp"

namespace cfs::fuse_tool {

struct Cli {
  Cli() = default;
  Cli(Cli&& o) noexcept;
  Cli& operator=(Cli&&) = delete;
  Cli(const Cli&) = delete;
  ~Cli();

  std::string image;
  std::string mountpoint;
  std::vector<std::string> basedirs;
  std::optional<std::string> digest;
  bool verity = false;
  bool noacl = false;
  bool noprefetch = false;
  bool exit_now = false;     // --help or --version was answered
  fuse_args args = FUSE_ARGS_INIT(0, nullptr);  // what remains for fuse_session_new
  fuse_cmdline_opts fuse{};  // -f, -d, -s, clone_fd, max_idle_threads
};

/// Parses argv; errors carry a message for "composefs-fuse: ...".
Result<Cli> parse_cli(int argc, char** argv);

}  // namespace cfs::fuse_tool
