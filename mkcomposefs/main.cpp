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

tree::Tree load_dump(const std::string& source) {
  UniqueFd owned;
  int fd = STDIN_FILENO;
  if (source != "-") {
    owned.reset(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
    if (!owned.valid()) die(errno_error(errno, source).msg);
    fd = owned.get();
  }
  dump::ParseOptions parse_options;
  parse_options.strict = std::getenv("CFS_PARSE_STRICT") != nullptr;  // any value, as C
  auto tree = dump::parse_dump_fd(fd, parse_options);
  if (!tree) die(tree.error().msg);
  return std::move(tree).value();
}

void write_output(const Options& o, const tree::Tree& tree) {
  erofs::WriteOptions wo{o.min_version, o.max_version};
  std::optional<AtomicFile> file;
  int fd = -1;
  if (o.image == "-") {
    if (::isatty(STDOUT_FILENO)) die("stdout is a terminal; refusing to write an image to it");
    fd = STDOUT_FILENO;
  } else if (!o.print_digest_only) {
    auto f = AtomicFile::create(o.image);
    if (!f) die(f.error().msg);
    file.emplace(std::move(f).value());
    fd = file->fd();
  }
  ImageSink sink(fd);
  auto written = erofs::write_image(tree, wo, sink);
  if (!written) die("cannot write image: " + written.error().msg);
  if (file) {
    auto c = file->commit();
    if (!c) die(c.error().msg);
  }
  if (o.print_digest) {
    auto d = sink.digest();
    std::printf("%s\n", to_hex(d).c_str());
    if (std::fflush(stdout) != 0) die(errno_error(errno, "stdout").msg);
  }
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
  cfs::tree::Tree tree = load_dump(options->source);
  write_output(*options, tree);
  return 0;
}
