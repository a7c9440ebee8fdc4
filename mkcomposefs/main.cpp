// mkcomposefs: build a composefs image from a dump file (or a directory).
#include <cstdio>
#include <fcntl.h>
#include <unistd.h>

#include "dump/parse.hpp"
#include "erofs/writer.hpp"
#include "fsverity/fsverity.hpp"
#include "options.hpp"
#include "util/hex.hpp"
#include "util/io.hpp"

namespace cfs::mkcomposefs {
namespace {

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "mkcomposefs: %s\n", msg.c_str());
  std::exit(1);
}

[[noreturn]] void usage_error(const std::string& msg) {
  std::fprintf(stderr, "mkcomposefs: %s\nUsage: mkcomposefs [OPTIONS] SOURCE IMAGE\nTry 'mkcomposefs --help' for more information.\n",
               msg.c_str());
  std::exit(1);
}

// Sends image bytes to an fd (unless -1) and through the fs-verity hasher.
class ImageSink : public erofs::Sink {
 public:
  explicit ImageSink(int fd) : fd_(fd) {}
  Result<void> write(std::span<const uint8_t> bytes) override {
    hasher_.update(bytes);
    if (fd_ >= 0) return write_all(fd_, bytes);
    return {};
  }
  fsverity::Digest digest() { return hasher_.finish(); }

 private:
  int fd_;
  fsverity::Hasher hasher_;
};

Result<tree::Tree> load_dump(const std::string& source) {
  UniqueFd owned;
  int fd = STDIN_FILENO;
  if (source != "-") {
    owned.reset(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
    if (!owned.valid()) return errno_error(errno, source);
    fd = owned.get();
  }
  dump::ParseOptions parse_options;
  parse_options.strict = std::getenv("CFS_PARSE_STRICT") != nullptr;  // any value, as C
  return dump::parse_dump_fd(fd, parse_options);
}

// Returns instead of exiting so that an uncommitted AtomicFile removes its
// temporary file on the way out.
Result<void> write_output(const Options& o, const tree::Tree& tree) {
  erofs::WriteOptions wo{o.min_version, o.max_version};
  std::optional<AtomicFile> file;
  int fd = -1;
  if (o.image == "-") {
    if (::isatty(STDOUT_FILENO)) return make_error(EINVAL, "stdout is a terminal; refusing to write an image to it");
    fd = STDOUT_FILENO;
  } else if (!o.print_digest_only) {
    file.emplace(CFS_TRY(AtomicFile::create(o.image)));
    fd = file->fd();
  }
  ImageSink sink(fd);
  auto written = erofs::write_image(tree, wo, sink);
  if (!written) return make_error(written.error().errnum, "cannot write image: " + written.error().msg);
  if (file) CFS_CHECK(file->commit());
  if (o.print_digest) {
    std::printf("%s\n", to_hex(sink.digest()).c_str());
    if (std::fflush(stdout) != 0) return errno_error(errno, "stdout");
  }
  return {};
}

}  // namespace
}  // namespace cfs::mkcomposefs

int main(int argc, char** argv) {
  using namespace cfs::mkcomposefs;
  auto options = parse_options(argc, argv);
  if (!options) usage_error(options.error().msg);
  if (options->help) {
    std::fputs(usage_text().c_str(), stdout);
    return 0;
  }
  if (!options->from_file) die(options->source + ": building from a directory is not supported yet; use --from-file");
  auto tree = load_dump(options->source);
  if (!tree) die(tree.error().msg);
  auto written = write_output(*options, *tree);
  if (!written) die(written.error().msg);
  return 0;
}
