#include "options.hpp"

#include <cstdio>
#include <cstdlib>
#include <getopt.h>

namespace cfs::storetool {
namespace {

enum { OPT_DRY_RUN = 100, OPT_JSON, OPT_REPAIR, OPT_GRACE, OPT_HELP };

const struct option kLongOptions[] = {
    {"dry-run", no_argument, nullptr, OPT_DRY_RUN}, {"json", no_argument, nullptr, OPT_JSON},
    {"repair", no_argument, nullptr, OPT_REPAIR},   {"grace", required_argument, nullptr, OPT_GRACE},
    {"help", no_argument, nullptr, OPT_HELP},       {nullptr, 0, nullptr, 0},
};

Result<int64_t> parse_seconds(const char* text) {
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(text, &end, 10);
  if (errno || end == text || *end || v < 0) return make_error(EINVAL, std::string("--grace: not a number of seconds: ") + text);
  return static_cast<int64_t>(v);
}

// Options that only make sense for one command are refused with the others.
Result<void> check_combination(const Options& o) {
  if (o.command != "gc" && o.command != "fsck" && o.command != "stat")
    return make_error(EINVAL, "unknown command '" + o.command + "'");
  if (o.dry_run && o.command != "gc") return make_error(EINVAL, "--dry-run is an option of gc only");
  if (o.repair && o.command != "fsck") return make_error(EINVAL, "--repair is an option of fsck only");
  if (o.store.empty()) return make_error(EINVAL, "no STORE given");
  if (o.command == "gc" && o.images.empty())
    return make_error(EINVAL, "gc needs at least one IMAGE to keep (it removes every object no named image uses)");
  return {};
}

}  // namespace

void die(const std::string& msg) {
  std::fflush(stdout);
  std::fprintf(stderr, "composefs-store: %s\n", msg.c_str());
  std::exit(1);
}

std::string usage_text() {
  return "Usage: composefs-store [OPTIONS] COMMAND STORE [IMAGE...]\n"
         "Maintain a composefs object store (a --digest-store / basedir= directory).\n"
         "\n"
         "Commands:\n"
         "  gc     remove every object none of the IMAGEs (at least one) refers to\n"
         "  fsck   check every object, and that the IMAGEs' objects are present\n"
         "  stat   count objects and bytes, and per IMAGE the bytes only it holds\n"
         "\n"
         "Options:\n"
         "  --dry-run        gc: print each object that would be removed, remove nothing\n"
         "  --grace=SECONDS  gc: keep files changed this recently (default 3600)\n"
         "  --repair         fsck: move bad objects to STORE/lost+found, enable fs-verity\n"
         "  --json           print one JSON document instead of text\n"
         "  --help           show this help\n";
}

Result<Options> parse_options(int argc, char** argv) {
  Options o;
  opterr = 0;
  int opt;
  while ((opt = getopt_long(argc, argv, "", kLongOptions, nullptr)) != -1) {
    switch (opt) {
      case OPT_DRY_RUN: o.dry_run = true; break;
      case OPT_JSON: o.json = true; break;
      case OPT_REPAIR: o.repair = true; break;
      case OPT_GRACE: o.grace_seconds = CFS_TRY(parse_seconds(optarg)); break;
      case OPT_HELP: o.help = true; return o;
      default: return make_error(EINVAL, std::string("unknown option or missing value: ") + argv[optind - 1]);
    }
  }
  if (optind >= argc) return make_error(EINVAL, "no COMMAND given");
  o.command = argv[optind++];
  if (optind < argc) o.store = argv[optind++];
  o.images.assign(argv + optind, argv + argc);
  CFS_CHECK(check_combination(o));
  return o;
}

}  // namespace cfs::storetool
