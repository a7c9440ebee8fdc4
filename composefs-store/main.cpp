// composefs-store: garbage collection, checking and statistics for composefs
// object stores (the directories mkcomposefs --digest-store fills and
// mount.composefs takes as basedir=). Not part of composefs-c.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <thread>

#include "commands.hpp"
#include "output.hpp"
#include "util/memory.hpp"

namespace cfs::storetool {

OpenStore open_store_or_die(const std::string& path, store::StoreLock::Mode mode) {
  auto fd = store::open_store(path);
  if (!fd) die(fd.error().msg);
  OpenStore out{std::move(*fd), {}};
  auto lock = store::StoreLock::acquire(out.fd.get(), path, mode, [&path] {
    std::fprintf(stderr, "composefs-store: waiting for the lock of %s (a build or gc is using it)\n", path.c_str());
  });
  if (!lock) die(lock.error().msg);
  out.lock = std::move(*lock);
  return out;
}

StoreAndImages list_and_read_or_die(const OpenStore& store, const Options& o, const std::string& refusal_note) {
  std::optional<Result<store::Listing>> listing;
  std::thread lister([&] { listing.emplace(store::list_store(store.fd.get(), o.store)); });
  auto images = read_image_objects(o.images);
  lister.join();
  if (!images) die(images.error().msg + refusal_note);
  if (!*listing) die(listing->error().msg);
  return {std::move(listing->value()), std::move(*images)};
}

}  // namespace cfs::storetool

int main(int argc, char** argv) {
  using namespace cfs::storetool;
  cfs::prefer_huge_pages();
  auto options = parse_options(argc, argv);
  if (!options) {
    std::fprintf(stderr, "composefs-store: %s\nTry 'composefs-store --help' for more information.\n",
                 options.error().msg.c_str());
    return 1;
  }
  if (options->help) {
    write_stdout(usage_text());
    return 0;
  }
  int rc = options->command == "gc" ? run_gc(*options) : options->command == "fsck" ? run_fsck(*options) : run_stat(*options);
  if (std::fflush(stdout) != 0) die(std::string("stdout: ") + std::strerror(errno));
  return rc;
}
