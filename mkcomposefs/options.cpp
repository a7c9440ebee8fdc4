#include "options.hpp"

#include <charconv>
#include <cstring>
#include <string_view>

namespace cfs::mkcomposefs {
namespace {

enum class Arg { None, Required };

struct OptionSpec {
  std::string_view name;
  Arg arg;
  Result<void> (*apply)(Options&, std::string_view value, bool& version_set);
};

Result<uint32_t> parse_uint(std::string_view name, std::string_view value, uint32_t max) {
  uint32_t v = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (value.empty() || ec != std::errc() || end != value.data() + value.size() || v > max)
    return make_error(EINVAL, "invalid value '" + std::string(value) + "' for --" + std::string(name));
  return v;
}

Result<void> set_version(uint32_t& field, std::string_view name, std::string_view value, bool& version_set) {
  // C accepts any integer here and fails later with "Invalid argument"; we say why now.
  auto v = parse_uint(name, value, 1);
  if (!v) return make_error(EINVAL, "unsupported format version '" + std::string(value) + "' for --" +
                                        std::string(name) + " (supported: 0 and 1)");
  field = *v;
  version_set = true;
  return {};
}

const OptionSpec kOptions[] = {
    {"from-file", Arg::None, [](Options& o, std::string_view, bool&) -> Result<void> { o.from_file = true; return {}; }},
    {"from-oci", Arg::Required, [](Options& o, std::string_view v, bool&) -> Result<void> {
       if (v.empty()) return make_error(EINVAL, "empty layout for --from-oci");
       o.from_oci = true;
       o.source = std::string(v);
       return {};
     }},
    {"from-tar", Arg::Required, [](Options& o, std::string_view v, bool&) -> Result<void> {
       if (v.empty()) return make_error(EINVAL, "empty path for --from-tar");
       o.from_tar = true;
       o.source = std::string(v);
       return {};
     }},
    {"platform", Arg::Required, [](Options& o, std::string_view v, bool&) -> Result<void> {
       o.platform = std::string(v);
       return {};
     }},
    {"print-digest", Arg::None, [](Options& o, std::string_view, bool&) -> Result<void> { o.print_digest = true; return {}; }},
    {"print-digest-only", Arg::None, [](Options& o, std::string_view, bool&) -> Result<void> {
       o.print_digest = o.print_digest_only = true;
       return {};
     }},
    {"use-epoch", Arg::None, [](Options& o, std::string_view, bool&) -> Result<void> { o.use_epoch = true; return {}; }},
    {"skip-devices", Arg::None, [](Options& o, std::string_view, bool&) -> Result<void> { o.skip_devices = true; return {}; }},
    {"skip-xattrs", Arg::None, [](Options& o, std::string_view, bool&) -> Result<void> { o.skip_xattrs = true; return {}; }},
    {"user-xattrs", Arg::None, [](Options& o, std::string_view, bool&) -> Result<void> { o.user_xattrs = true; return {}; }},
    {"hardlinks", Arg::None, [](Options& o, std::string_view, bool&) -> Result<void> { o.hardlinks = true; return {}; }},
    {"hash", Arg::Required, [](Options& o, std::string_view v, bool&) -> Result<void> {
       o.hash = format::parse_hash_name(v);
       if (!o.hash) return make_error(EINVAL, "unknown hash '" + std::string(v) + "' for --hash (sha256 or sha512)");
       return {};
     }},
    {"help", Arg::None, [](Options& o, std::string_view, bool&) -> Result<void> { o.help = true; return {}; }},
    {"digest-store", Arg::Required, [](Options& o, std::string_view v, bool&) -> Result<void> {
       if (v.empty()) return make_error(EINVAL, "empty path for --digest-store");
       o.digest_store = std::string(v);
       return {};
     }},
    {"threads", Arg::Required, [](Options& o, std::string_view v, bool&) -> Result<void> {
       auto n = parse_uint("threads", v, 4096);
       if (!n || *n == 0) return make_error(EINVAL, "invalid thread count '" + std::string(v) + "'");
       o.threads = *n;
       return {};
     }},
    {"min-version", Arg::Required, [](Options& o, std::string_view v, bool& set) {
       return set_version(o.min_version, "min-version", v, set);
     }},
    // Documented by the C man page as the base version, but rejected by the C tool.
    {"version", Arg::Required, [](Options& o, std::string_view v, bool& set) {
       return set_version(o.min_version, "version", v, set);
     }},
    {"max-version", Arg::Required, [](Options& o, std::string_view v, bool& set) {
       return set_version(o.max_version, "max-version", v, set);
     }},
};

const OptionSpec* find_option(std::string_view name) {
  for (const auto& spec : kOptions)
    if (spec.name == name) return &spec;
  return nullptr;
}

}  // namespace

std::string usage_text() {
  return "Usage: mkcomposefs [OPTIONS] SOURCE IMAGE\n"
         "       mkcomposefs --from-oci=LAYOUT[:REF] [OPTIONS] IMAGE\n"
         "       mkcomposefs --from-tar=FILE [OPTIONS] IMAGE\n"
         "Build a composefs image from a directory or, with --from-file, a composefs-dump(5) file.\n"
         "SOURCE may be - (stdin) and may be gzip-compressed with --from-file; IMAGE may be - (stdout).\n"
         "Options:\n"
         "  --from-file           The source is a dump file, not a directory\n"
         "  --from-oci=LAYOUT[:REF]  Build from an OCI image layout directory or oci-archive\n"
         "                        (all layers applied; REF: the image's ref name)\n"
         "  --from-tar=FILE       Build from one layer tar (- for stdin); OCI whiteouts\n"
         "                        become overlayfs whiteouts\n"
         "  --platform=OS/ARCH[/VARIANT]  The image of an image index to use (default: this machine's)\n"
         "  --digest-store=PATH   Store content files in this directory\n"
         "  --use-epoch           Make all mtimes zero\n"
         "  --skip-devices        Don't store device nodes\n"
         "  --skip-xattrs         Don't store file xattrs\n"
         "  --user-xattrs         Only store user.* xattrs\n"
         "  --hardlinks           Keep hard links of the source directory (one inode, real nlink)\n"
         "  --hash=ALG            fs-verity hash of files and image: sha256 (default) or sha512\n"
         "  --print-digest        Print the digest of the image\n"
         "  --print-digest-only   Print the digest of the image, don't write image\n"
         "  --min-version=N       Use this minimal format version (default=0)\n"
         "  --version=N           Same as --min-version\n"
         "  --max-version=N       Use this maximum format version (default=1)\n"
         "  --threads=N           Threads used to hash and copy files (default: CPUs available)\n"
         "  --help                Show this help\n";
}

Result<Options> parse_options(int argc, char** argv) {
  Options o;
  bool version_set = false;
  std::vector<std::string_view> positional;
  bool only_positional = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (only_positional || !a.starts_with("--") ) {
      if (!only_positional && a.size() > 1 && a[0] == '-') return make_error(EINVAL, "unknown option '" + std::string(a) + "'");
      positional.push_back(a);
      continue;
    }
    if (a == "--") {
      only_positional = true;
      continue;
    }
    std::string_view name = a.substr(2), value;
    auto eq = name.find('=');
    bool has_value = eq != std::string_view::npos;
    if (has_value) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    const OptionSpec* spec = find_option(name);
    if (!spec) return make_error(EINVAL, "unknown option '--" + std::string(name) + "'");
    if (spec->arg == Arg::None && has_value) return make_error(EINVAL, "option '--" + std::string(name) + "' takes no value");
    if (spec->arg == Arg::Required && !has_value) {
      if (i + 1 >= argc) return make_error(EINVAL, "option '--" + std::string(name) + "' needs a value");
      value = argv[++i];
    }
    CFS_CHECK(spec->apply(o, value, version_set));
  }
  if (o.help) return o;
  if (o.skip_xattrs && o.user_xattrs) return make_error(EINVAL, "--skip-xattrs and --user-xattrs conflict");
  // As C: with either version option given, the other one defaults to 0; a max below
  // the min is raised to it.
  if (!version_set) o.max_version = 1;
  if (o.max_version < o.min_version) o.max_version = o.min_version;
  if (int(o.from_file) + int(o.from_oci) + int(o.from_tar) > 1)
    return make_error(EINVAL, "--from-file, --from-oci and --from-tar conflict");
  if (o.platform && !o.from_oci) return make_error(EINVAL, "--platform needs --from-oci");
  // --from-oci and --from-tar name the source themselves: the only argument is IMAGE.
  if (!o.from_oci && !o.from_tar) {
    if (positional.empty()) return make_error(EINVAL, "no source path specified");
    o.source = positional[0];
    if (o.source.empty()) return make_error(EINVAL, "empty source path specified");
    positional.erase(positional.begin());
  }
  if (positional.size() > 1) return make_error(EINVAL, "too many arguments");
  if (o.print_digest_only) {
    if (positional.size() == 1) return make_error(EINVAL, "cannot specify an image path with --print-digest-only");
  } else {
    if (positional.empty()) return make_error(EINVAL, "no image path specified");
    o.image = positional[0];
    if (o.image.empty()) return make_error(EINVAL, "empty image path specified");
  }
  return o;
}

}  // namespace cfs::mkcomposefs
