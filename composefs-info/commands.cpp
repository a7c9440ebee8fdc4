#include "commands.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include "dump/print.hpp"
#include "erofs/reader/reader.hpp"
#include "store/object_dirs.hpp"
#include "stream/listing.hpp"
#include "util/hex.hpp"
#include "util/unique_fd.hpp"

namespace cfs::info {

void write_stdout(std::string_view text) {
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size()) die(std::string("stdout: ") + std::strerror(errno));
}

namespace {

// missing-objects: the kernel mount could not use the object. C stats the
// payload under the basedir (following symlinks, leaving it through ".."); we
// count only what overlayfs serves: a regular file beneath the basedir, reached
// without ".." or a symlink. Opened O_PATH, so (as C's stat) an object the
// caller may not read still counts as present.
bool is_missing(int basedir_fd, std::string_view payload) {
  return !store::open_object_beneath(basedir_fd, payload, store::ObjectAccess::probe);
}

}  // namespace

tree::Tree load_image_or_die(const std::string& path, const std::vector<std::string>& filter) {
  auto image = erofs::MappedImage::open(path);
  if (!image) die("Failed to open '" + path + "': " + image.error().msg);
  erofs::ReadOptions options;
  options.filter = filter;
  auto tree = erofs::read_image(image->bytes(), options);
  if (!tree) die(path + ": " + tree.error().msg);
  return std::move(tree).value();
}

namespace {

// Runs `list` over the image at `path` (mapped read-only, its pages trimmed as the
// walk goes); dies with one message on failure, as load_image_or_die.
template <class List>
void stream_image_or_die(const std::string& path, const std::vector<std::string>& filter, List&& list) {
  auto image = erofs::MappedImage::open(path);
  if (!image) die("Failed to open '" + path + "': " + image.error().msg);
  stream::MappingTrimmer trimmer(image->bytes());
  stream::WalkOptions options;
  options.filter = filter;
  options.on_progress = [&trimmer] { trimmer(); };
  auto listed = list(image->bytes(), options);
  if (!listed) die(path + ": " + listed.error().msg);
}

}  // namespace

// Streamed: the image is walked twice (checked, then printed) and never held as a
// tree, so memory stays small whatever the image size (lib/stream/walk.hpp).
int run_ls_or_dump(const Options& o) {
  for (const auto& path : o.args) {
    stream_image_or_die(path, o.filter, [&o](std::span<const uint8_t> bytes, const stream::WalkOptions& options) {
      return o.command == "ls" ? stream::print_ls(bytes, options, write_stdout)
                               : stream::print_dump(bytes, options, write_stdout);
    });
  }
  return 0;
}

int run_objects(const Options& o, int basedir_fd) {
  stream::ObjectSet objects;
  for (const auto& path : o.args) {
    stream_image_or_die(path, o.filter, [&objects](std::span<const uint8_t> bytes, const stream::WalkOptions& options) {
      return stream::collect_objects(bytes, options, objects);
    });
  }
  const bool only_missing = o.command == "missing-objects";
  std::string out;
  objects.for_each_sorted([&](std::string_view payload) {
    if (only_missing && !is_missing(basedir_fd, payload)) return;
    (out += payload) += '\n';  // raw, unescaped, as C
    if (out.size() >= 256 * 1024) {
      write_stdout(out);
      out.clear();
    }
  });
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
