// mount.composefs's -o option string (C 1.0.8 tools/mountcomposefs.c options).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mount/mount.hpp"
#include "util/result.hpp"

namespace cfs::mount_helper {

/// -o fuse / -o nofuse: whether the composefs-fuse fallback may, must or must not be used.
enum class FuseMode { fallback, force, never };

struct HelperOptions {
  std::vector<std::string> basedirs;  // basedir=A:B, last basedir= wins (as C)
  std::optional<std::string> digest;
  std::optional<std::string> idmap;  // path of a user namespace
  std::string upperdir;
  std::string workdir;
  bool verity = false;
  bool tryverity = false;
  bool ro = false;
  FuseMode fuse = FuseMode::fallback;
  unsigned long mount_flags = 0;               // MS_* for the final mount (nosuid, noexec, ...)
  std::vector<std::string> security_options;   // context=... for the overlay
  std::vector<std::string> ignored;            // mount(8)'s options (nofail, x-*, ...), or unknown under -s
};

/// One NAME[=VALUE] item of an option string, as written (quotes kept).
struct RawOption {
  std::string_view name;
  std::optional<std::string_view> value;
};

/// Splits an option string as mount(8)'s libmount does (mnt_optstr_next_option):
/// at commas outside double quotes, NAME and VALUE at the first '=' outside them.
/// An empty item (a leading comma, ",,") or an unclosed quote is an error; one
/// trailing comma is not. Our own splitter: linking libmount for this alone made
/// mount.composefs load four more libraries (libmount, libblkid, libselinux,
/// libpcre2) and start slower than C's.
Result<std::vector<RawOption>> split_options(std::string_view optstr);

/// Parses a comma-separated option string (split as split_options does; values may be
/// "double-quoted" to hold commas). composefs's options are read here; the rest are
/// classified by libmount (vfs_options.hpp). Unknown options fail unless `sloppy`.
Result<HelperOptions> parse_options(const std::string& optstr, bool sloppy);

/// One line for -v: composefs options, mount flags, security options, ignored options.
std::string describe(const HelperOptions& h);

/// Checks the combination and builds the library's options (idmap fd not set).
Result<mount::Options> to_mount_options(const HelperOptions& h);

}  // namespace cfs::mount_helper
