#include "options.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <getopt.h>

namespace cfs::info {
namespace {

enum { OPT_BASEDIR = 100, OPT_FILTER, OPT_HASH, OPT_HELP };

const struct option kLongOptions[] = {
    {"basedir", required_argument, nullptr, OPT_BASEDIR},
    {"filter", required_argument, nullptr, OPT_FILTER},
    {"hash", required_argument, nullptr, OPT_HASH},
    {"help", no_argument, nullptr, OPT_HELP},
    {nullptr, 0, nullptr, 0},
};

}  // namespace

void die(const std::string& msg) {
  std::fflush(stdout);
  std::fprintf(stderr, "composefs-info: %s\n", msg.c_str());
  std::exit(EXIT_FAILURE);
}

void print_usage(const char* argv0) {
  std::fprintf(stderr, "usage: %s [--basedir=path] [ls|objects|dump|missing-objects|measure-file] IMAGES...\n",
               argv0);
}

std::string help_text(const char* argv0) {
  return std::string("usage: ") + argv0 +
         " [--basedir=path] [--filter=NAME]... COMMAND IMAGES...\n"
         "\n"
         "Commands:\n"
         "  ls               list the files of each image\n"
         "  dump             print each image in composefs-dump(5) format\n"
         "  objects          list the backing objects the images refer to\n"
         "  missing-objects  list the objects missing from --basedir\n"
         "  measure-file     print the fs-verity digest of each FILE given instead of images\n"
         "  fsck             check each image, and with --basedir its objects (size, digest)\n"
         "\n"
         "Options:\n"
         "  --basedir=DIR    object store for missing-objects and fsck\n"
         "  --filter=NAME    load only this top-level entry (repeatable)\n"
         "  --hash=ALG       measure-file: sha256 (default) or sha512\n"
         "  --help           show this help\n";
}

Options parse_options(int argc, char** argv) {
  Options o;
  int opt;
  while ((opt = getopt_long(argc, argv, "", kLongOptions, nullptr)) != -1) {
    switch (opt) {
      case OPT_BASEDIR:
        o.basedir = optarg;
        break;
      case OPT_FILTER:
        // matches C: err(3) appends strerror(errno), which is "Success" here.
        if (std::strchr(optarg, '/')) die(std::string("Filter must be a single name: ") + optarg + ": Success");
        o.filter.emplace_back(optarg);
        break;
      case OPT_HASH: {
        auto alg = format::parse_hash_name(optarg);
        if (!alg) die(std::string("unknown hash '") + optarg + "' for --hash (sha256 or sha512)");
        o.hash = *alg;
        break;
      }
      case OPT_HELP:
        o.help = true;
        return o;
      default:
        // matches C: a leftover debug print on stdout, then the usage.
        std::printf("Def\n");
        print_usage(argv[0]);
        std::exit(EXIT_FAILURE);
    }
  }
  if (optind >= argc) {
    std::fprintf(stderr, "No command specified\n");
    print_usage(argv[0]);
    std::exit(EXIT_FAILURE);
  }
  o.command = argv[optind];
  o.args.assign(argv + optind + 1, argv + argc);
  return o;
}

}  // namespace cfs::info
