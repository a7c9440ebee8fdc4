#include "cli.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "util/file_stat.hpp"

namespace cfs::fuse_tool {
namespace {

enum Key { kSource, kBasedir, kDigest, kVerity, kNoacl, kNoprefetch, kHelp, kVersion };

const fuse_opt kOpts[] = {
    FUSE_OPT_KEY("source=", kSource), FUSE_OPT_KEY("basedir=", kBasedir),
    FUSE_OPT_KEY("digest=", kDigest), FUSE_OPT_KEY("verity", kVerity),
    FUSE_OPT_KEY("tryverity", kVerity), FUSE_OPT_KEY("noacl", kNoacl),
    FUSE_OPT_KEY("noprefetch", kNoprefetch),
    FUSE_OPT_KEY("-h", kHelp),        FUSE_OPT_KEY("--help", kHelp),
    FUSE_OPT_KEY("-V", kVersion),     FUSE_OPT_KEY("--version", kVersion),
    FUSE_OPT_END};

struct Parsing {
  Cli* cli;
  std::optional<std::string> source;
  std::vector<std::string> positional;
  bool help = false;
  bool version = false;
};

std::vector<std::string> split_dirs(std::string_view list) {
  // basedir=A:B as mount.composefs takes it (composefs-c's server takes one).
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t colon; (colon = list.find(':', start)) != std::string_view::npos; start = colon + 1)
    if (colon > start) out.emplace_back(list.substr(start, colon - start));
  if (start < list.size()) out.emplace_back(list.substr(start));
  return out;
}

int take_option(void* data, const char* arg, int key, fuse_args*) {
  auto& p = *static_cast<Parsing*>(data);
  const std::string_view a(arg);
  const auto value = [&] { return std::string(a.substr(a.find('=') + 1)); };
  switch (key) {
    case FUSE_OPT_KEY_NONOPT: p.positional.emplace_back(a); return 0;
    case kSource: p.source = value(); return 0;
    case kBasedir: p.cli->basedirs = split_dirs(value()); return 0;  // the last one wins, as in mount.composefs
    case kDigest: p.cli->digest = value(); return 0;
    // tryverity: user space can always measure, so it is verity here.
    case kVerity: p.cli->verity = true; return 0;
    case kNoacl: p.cli->noacl = true; return 0;
    case kNoprefetch: p.cli->noprefetch = true; return 0;
    case kHelp: p.help = true; return 0;
    case kVersion: p.version = true; return 0;
    default: return 1;  // libfuse's
  }
}

void print_help(const char* prog) {
  std::printf(
      "usage: %s [options] IMAGE MOUNTPOINT\n"
      "   or: %s [options] -o source=IMAGE,basedir=DIR MOUNTPOINT\n"
      "\n"
      "Serves the composefs image IMAGE read-only at MOUNTPOINT, with file data from\n"
      "the object directories, as mount.composefs would show it.\n"
      "\n"
      "composefs options:\n"
      "    -o source=IMAGE        the image (instead of the IMAGE argument)\n"
      "    -o basedir=DIR[:DIR]   object directories, searched in order\n"
      "    -o digest=HEX          require this fs-verity digest of the image\n"
      "    -o verity              check each object's fs-verity digest on first open\n"
      "    -o noacl               do not serve POSIX ACLs\n"
      "    -o noprefetch          do not read a directory's files ahead when one is opened\n"
      "\n",
      prog, prog);
  fuse_cmdline_help();
  fuse_lowlevel_help();
}

Result<void> finish(Parsing& p) {
  Cli& c = *p.cli;
  if (p.positional.size() == 2 && !p.source) {
    c.image = p.positional[0];
    c.mountpoint = p.positional[1];
  } else if (p.positional.size() == 1 && p.source) {
    c.image = *p.source;
    c.mountpoint = p.positional[0];
  } else if (p.positional.size() == 2) {
    return make_error(EINVAL, "the image is given twice (source= and an argument)");
  } else if (p.positional.empty()) {
    return make_error(EINVAL, "no mountpoint given (see --help)");
  } else if (p.positional.size() == 1) {
    return make_error(EINVAL, "no image given: IMAGE MOUNTPOINT or -o source=IMAGE (see --help)");
  } else {
    return make_error(EINVAL, "unexpected argument '" + p.positional[2] + "'");
  }
  if (c.image.empty()) return make_error(EINVAL, "empty image path");
  auto st = stat_at(AT_FDCWD, c.mountpoint.c_str(), 0, "");
  if (!st) return make_error(st.error().errnum, "mountpoint " + c.mountpoint + ": " + std::strerror(st.error().errnum));
  if (!S_ISDIR(st->mode)) return make_error(ENOTDIR, "mountpoint " + c.mountpoint + ": not a directory");
  if (c.basedirs.empty()) return make_error(EINVAL, "no basedir given (-o basedir=DIR)");
  return {};
}

}  // namespace

Cli::Cli(Cli&& o) noexcept
    : image(std::move(o.image)), mountpoint(std::move(o.mountpoint)), basedirs(std::move(o.basedirs)),
      digest(std::move(o.digest)), verity(o.verity), noacl(o.noacl), noprefetch(o.noprefetch), exit_now(o.exit_now), args(o.args),
      fuse(o.fuse) {
  o.args = FUSE_ARGS_INIT(0, nullptr);
  o.fuse.mountpoint = nullptr;
}

Cli::~Cli() {
  fuse_opt_free_args(&args);
  std::free(fuse.mountpoint);
}

Result<Cli> parse_cli(int argc, char** argv) {
  Cli cli;
  cli.args = FUSE_ARGS_INIT(argc, argv);
  Parsing p{&cli};
  if (fuse_opt_parse(&cli.args, &p, kOpts, take_option) != 0) return make_error(EINVAL, "bad options");
  const char* prog = argc > 0 ? argv[0] : "composefs-fuse";
  if (p.help || p.version) {
    if (p.help) print_help(prog);
    if (p.version) std::printf("composefs-fuse %s\nFUSE library version %s\n", CFS_VERSION, fuse_pkgversion());
    cli.exit_now = true;
    return cli;
  }
  CFS_CHECK(finish(p));
  // fuse_parse_cmdline takes -f/-d/-s and the mountpoint, and adds the default
  // subtype; the image is always read-only and the kernel checks permissions
  // from the modes we report, as it would for a kernel mount.
  // The image shows as the mount's source (fsname), as for the kernel mount.
  char* fsname = nullptr;
  bool added = fuse_opt_add_opt_escaped(&fsname, ("fsname=" + cli.image).c_str()) == 0 &&
               fuse_opt_add_arg(&cli.args, ("-o" + std::string(fsname) + ",subtype=composefs").c_str()) == 0;
  std::free(fsname);
  if (!added || fuse_opt_add_arg(&cli.args, cli.mountpoint.c_str()) != 0 ||
      fuse_opt_add_arg(&cli.args, "-oro,default_permissions") != 0)
    return make_error(ENOMEM, "out of memory");
  // As root the mount is for everyone, as the kernel's would be.
  if (::geteuid() == 0 && fuse_opt_add_arg(&cli.args, "-oallow_other") != 0) return make_error(ENOMEM, "out of memory");
  if (fuse_parse_cmdline(&cli.args, &cli.fuse) != 0) return make_error(EINVAL, "bad FUSE options");
  return cli;
}

}  // namespace cfs::fuse_tool
