// Command-line options of mkcomposefs, as composefs-c 1.0.8 accepts them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "format/digest.hpp"
#include "util/result.hpp"

namespace cfs::mkcomposefs {

struct Options {
  bool from_file = false;
  bool from_oci = false;           // beyond C: --from-oci=LAYOUT[:REF], the source is an OCI image
  bool from_tar = false;           // beyond C: --from-tar=FILE, the source is one layer tar
  std::optional<std::string> platform;  // --platform=OS/ARCH[/VARIANT] for --from-oci
  bool print_digest = false;
  bool print_digest_only = false;
  bool use_epoch = false;
  bool skip_devices = false;
  bool skip_xattrs = false;
  bool user_xattrs = false;
  bool hardlinks = false;          // beyond C: keep hard links of a source directory
  std::optional<format::HashAlg> hash;  // beyond C: --hash=sha256|sha512 (default: sha256,
                                        // or with --from-file the dump's digests')
  bool help = false;
  std::optional<std::string> digest_store;
  unsigned threads = 0;            // 0: CPUs available to the process
  uint32_t min_version = 0;
  uint32_t max_version = 0;       // 1 when no version option is given
  std::string source;              // the positional SOURCE, or the value of --from-oci/--from-tar
  std::string image;               // empty with --print-digest-only
};

/// Parses argv. Errors carry the message to print before the usage text.
Result<Options> parse_options(int argc, char** argv);

/// The --help text.
std::string usage_text();

}  // namespace cfs::mkcomposefs
