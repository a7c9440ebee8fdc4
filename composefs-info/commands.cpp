#include "commands.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

#include "dump/print.hpp"
#include "erofs/reader/reader.hpp"
#include "util/hex.hpp"
#include "util/unique_fd.hpp"

namespace cfs::info {

void write_stdout(std::string_view text) {
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size()) die(std::string("stdout: ") + std::strerror(errno));
}

tree::Tree load_image_or_die(const std::string& path, const std::vector<std::string>& filter) {
  auto image = erofs::MappedImage::open(path);
  if (!image) die("Failed to open '" + path + "': " + image.error().msg);
  erofs::ReadOptions options;
  options.filter = filter;
  auto tree = erofs::read_image(image->bytes(), options);
  if (!tree) die(path + ": " + tree.error().msg);
  return std::move(tree).value();
}

int run_ls_or_dump(const Options& o) {
  for (const auto& path : o.args) {
    tree::Tree tree = load_image_or_die(path, o.filter);
    if (o.command == "ls")
      dump::print_ls(*tree.root(), write_stdout);
    else
      dump::print_dump(*tree.root(), write_stdout);
  }
  return 0;
}

int run_objects(const Options& o, int basedir_fd) {
  std::set<std::string> objects;
  std::function<bool(const std::string&)> keep;
  if (o.command == "missing-objects") {
    keep = [basedir_fd](const std::string& payload) {
      // C: fstatat(basedir, payload without leading '/', AT_EMPTY_PATH) fails.
      size_t skip = payload.find_first_not_of('/');
      std::string rel = skip == std::string::npos ? "" : payload.substr(skip);
      struct stat st;
      return ::fstatat(basedir_fd, rel.c_str(), &st, AT_EMPTY_PATH) < 0;
    };
  }
  for (const auto& path : o.args) {
    tree::Tree tree = load_image_or_die(path, o.filter);
    dump::collect_objects(*tree.root(), keep, objects);
  }
  std::string out;
  for (const auto& obj : objects) (out += obj) += '\n';  // raw, unescaped, as C
  write_stdout(out);
  return 0;
}

int run_measure_file(const Options& o, const char* argv0) {
  if (o.args.empty()) {
    std::fprintf(stderr, "No files specified\n");
    print_usage(argv0);
    return 1;
  }
  for (const auto& path : o.args) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) die("Failed to open '" + path + "': " + std::strerror(errno));
    auto digest = fsverity::file_digest(fd.get(), o.hash);
    if (!digest) {
      // matches C: no "composefs-info: " prefix and no newline.
      std::fflush(stdout);
      std::fprintf(stderr, "failed to measure '%s': %s", path.c_str(), std::strerror(digest.error().errnum));
      return 1;
    }
    write_stdout(to_hex(*digest) + "\n");
  }
  return 0;
}

}  // namespace cfs::info
