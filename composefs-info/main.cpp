// composefs-info: inspect composefs images (ls, dump, objects, missing-objects,
// measure-file as composefs-c 1.0.8; fsck is ours).
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>

#include "commands.hpp"
#include "options.hpp"
#include "util/unique_fd.hpp"
#include "util/memory.hpp"

using namespace cfs::info;

int main(int argc, char** argv) {
  cfs::prefer_huge_pages();
  Options o = parse_options(argc, argv);
  if (o.help) {
    write_stdout(help_text(argv[0]));
    return 0;
  }
  const std::string& cmd = o.command;
  bool known = cmd == "ls" || cmd == "dump" || cmd == "objects" || cmd == "missing-objects" || cmd == "fsck";
  if (cmd == "measure-file") return run_measure_file(o, argv[0]);
  if (!known) die("Unknown command '" + cmd + "'\n");  // C's errx message ends in "\n" too
  // matches C: without --basedir, missing-objects looks paths up relative to fd 0
  // (C's zero-initialised opt_basedir_fd), so every object shows as missing.
  cfs::UniqueFd basedir;
  int basedir_fd = cmd == "fsck" ? -1 : 0;
  if (o.basedir) {
    basedir.reset(::open(o.basedir->c_str(), O_RDONLY | O_CLOEXEC | O_DIRECTORY | O_PATH));
    if (!basedir.valid()) die("Can't open basedir `" + *o.basedir + "`\n: " + std::strerror(errno));
    basedir_fd = basedir.get();
  }
  if (o.args.empty()) {
    std::fprintf(stderr, "No image path specified\n");
    print_usage(argv[0]);
    return 1;
  }
  int rc = 0;
  if (cmd == "ls" || cmd == "dump") rc = run_ls_or_dump(o);
  else if (cmd == "fsck") rc = run_fsck(o, basedir_fd);
  else rc = run_objects(o, basedir_fd);
  if (std::fflush(stdout) != 0) die(std::string("stdout: ") + std::strerror(errno));
  return rc;
}
