// mount.composefs [-o OPTIONS] IMAGE TARGET — directly or as mount(8)'s helper
// ("mount -t composefs"), which calls it as
//   mount.composefs IMAGE TARGET [-sfnv] [-N NS] [-o OPTIONS] [-t composefs]
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include "mount/mount.hpp"
#include "fuse_fallback.hpp"
#include "options.hpp"
#include "util/io.hpp"
#include "util/unique_fd.hpp"

namespace {

const char* g_prog = "mount.composefs";

void usage(FILE* out) {
  std::fprintf(out,
      "usage: %s [-t type] [-o opt[,opts..]] IMAGE MOUNTPOINT\n"
      "Example:\n"
      "  %s -o basedir=/composefs/objects exampleimage.cfs /mnt/exampleimage\n"
      "or, as a mount helper:\n"
      "  mount -t composefs -o basedir=/composefs/objects exampleimage.cfs /mnt/exampleimage\n"
      "\n"
      "Supported options:\n"
      "  basedir=PATH[:PATH]    Specify location of basedir(s)\n"
      "  digest=DIGEST          Specify required image digest\n"
      "  idmap=PATH             Specify path to a user namespace whose ID mapping should be used\n"
      "  verity                 Require all files to have specified and valid fs-verity digests\n"
      "  tryverity              If supported by kernel, require fs-verity\n"
      "  ro                     Read only\n"
      "  rw                     Read/write\n"
      "  upperdir               Overlayfs upperdir\n"
      "  workdir                Overlayfs workdir\n"
      "  fuse                   Mount with composefs-fuse, not the kernel\n"
      "  nofuse                 Never fall back to composefs-fuse\n",
      g_prog, g_prog);
}

[[noreturn]] void die(const std::string& msg, bool with_usage = false) {
  std::fprintf(stderr, "%s: %s\n", g_prog, msg.c_str());
  if (with_usage) usage(stderr);
  std::exit(EXIT_FAILURE);
}

struct Cli {
  std::string options;
  std::string image;
  std::string target;
  std::string mount_ns;  // -N: a path or a PID
  bool sloppy = false;   // -s
  bool fake = false;     // -f
  bool verbose = false;  // -v
};

void add_options(Cli& cli, const char* more) {
  // Several -o are joined (C kept only the last); mount(8) passes one.
  if (!cli.options.empty()) cli.options += ',';
  cli.options += more;
}

Cli parse_cli(int argc, char** argv) {
  static const option longopts[] = {{"help", no_argument, nullptr, 'h'}, {nullptr, 0, nullptr, 0}};
  Cli cli;
  int opt;
  while ((opt = getopt_long(argc, argv, "ht:o:sfnvN:", longopts, nullptr)) != -1) {
    switch (opt) {
      case 't':
        if (std::strcmp(optarg, "composefs") != 0) die(std::string("Unsupported fs type '") + optarg + "'");
        break;
      case 'o': add_options(cli, optarg); break;
      case 's': cli.sloppy = true; break;
      case 'f': cli.fake = true; break;
      case 'v': cli.verbose = true; break;
      case 'n': break;  // no mtab to skip
      case 'N': cli.mount_ns = optarg; break;
      case 'h': usage(stdout); std::exit(0);
      default: usage(stderr); std::exit(EXIT_FAILURE);
    }
  }
  if (optind >= argc) die("No source path specified", true);
  if (optind + 1 >= argc) die("No mount path specified", true);
  if (optind + 2 < argc) die(std::string("Unexpected argument '") + argv[optind + 2] + "'", true);
  cli.image = argv[optind];
  cli.target = argv[optind + 1];
  return cli;
}

// -N NS: mount(8) --namespace; NS is a mount namespace path or a PID.
void enter_namespace(const std::string& ns) {
  bool pid = ns.find_first_not_of("0123456789") == std::string::npos;
  std::string path = pid ? "/proc/" + ns + "/ns/mnt" : ns;
  cfs::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid() || ::setns(fd.get(), CLONE_NEWNS) < 0)
    die("Failed to enter mount namespace " + path + ": " + std::strerror(errno));
}

cfs::mount_helper::HelperOptions helper_options(const Cli& cli) {
  auto parsed = cfs::mount_helper::parse_options(cli.options, cli.sloppy);
  if (!parsed) die(parsed.error().msg);
  if (parsed->basedirs.empty()) die("No object dirs specified", true);
  return std::move(parsed).value();
}

// The library's options.
cfs::mount::Options mount_options(const cfs::mount_helper::HelperOptions& h) {
  auto opts = cfs::mount_helper::to_mount_options(h);
  if (!opts) die(opts.error().msg);
  return std::move(opts).value();
}

// -v: what was mounted, how and with which options; 0 (the exit status).
int say(const Cli& cli, const cfs::mount_helper::HelperOptions& h, const std::string& how) {
  if (cli.verbose)
    std::printf("%s: %s on %s mounted by %s; %s\n", g_prog, cli.image.c_str(), cli.target.c_str(), how.c_str(),
                cfs::mount_helper::describe(h).c_str());
  return 0;
}

// -o fuse: composefs-fuse only.
int mount_fuse_only(const Cli& cli, const cfs::mount_helper::HelperOptions& h) {
  if (auto r = cfs::mount_helper::check_fuse_options(h); !r) die(r.error().msg);
  if (cli.fake) return say(cli, h, "nothing (-f)");
  auto r = cfs::mount_helper::mount_with_fuse(h, cli.image, cli.target);
  if (!r) die("Failed to mount composefs " + cli.image + " with " + r.error().msg);
  return say(cli, h, "composefs-fuse");
}

// The kernel mount failed with `kernel`: try composefs-fuse when that may help.
[[noreturn]] void after_kernel_failure(const Cli& cli, const cfs::mount_helper::HelperOptions& h,
                                       const cfs::Error& kernel) {
  const std::string what = "Failed to mount composefs " + cli.image + ": ";
  if (!cfs::mount_helper::should_fall_back(h, kernel)) die(what + kernel.msg);
  auto r = cfs::mount_helper::mount_with_fuse(h, cli.image, cli.target);
  if (r) std::exit(say(cli, h, "composefs-fuse (the kernel mount failed: " + kernel.msg + ")"));
  die(what + "tried the kernel (EROFS + overlayfs): " + kernel.msg + "; then " + r.error().msg);
}

cfs::UniqueFd open_or_die(const std::string& path, const char* what) {
  cfs::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd.valid()) die(std::string("Failed to open ") + what + path + ": " + std::strerror(errno));
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 0 && argv[0] != nullptr) {
    const char* slash = std::strrchr(argv[0], '/');
    g_prog = slash != nullptr ? slash + 1 : argv[0];
  }
  Cli cli = parse_cli(argc, argv);
  if (!cli.mount_ns.empty()) enter_namespace(cli.mount_ns);
  const auto helper = helper_options(cli);
  if (helper.fuse == cfs::mount_helper::FuseMode::force) return mount_fuse_only(cli, helper);
  cfs::mount::Options opts = mount_options(helper);

  cfs::UniqueFd userns;
  if (helper.idmap) {
    userns = open_or_die(*helper.idmap, "userns ");
    opts.idmap_fd = userns.get();
  }
  cfs::UniqueFd image = open_or_die(cli.image, "");
  if (cli.fake) return say(cli, helper, "nothing (-f)");  // everything checked, nothing mounted

  auto r = cfs::mount::mount({cli.image, image.get()}, cli.target, opts);
  if (!r) after_kernel_failure(cli, helper, r.error());
  return say(cli, helper, "the kernel (EROFS + overlayfs)");
}
