// composefs-dump SRC DEST: reload a composefs image and write it again in the
// format version recorded in its header (as composefs-c 1.0.8's composefs-dump).
// DEST appears only once complete (atomic rename).
#include <cstdio>
#include <cstdlib>
#include <string>

#include "erofs/reader/reader.hpp"
#include "erofs/writer.hpp"
#include "util/io.hpp"
#include "util/memory.hpp"

namespace {

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "composefs-dump: %s\n", msg.c_str());
  std::exit(EXIT_FAILURE);
}

void usage(const char* argv0) { std::fprintf(stderr, "usage: %s SRC DEST\n", argv0); }

class FdSink : public cfs::erofs::Sink {
 public:
  explicit FdSink(int fd) : fd_(fd) {}
  cfs::Result<void> write(std::span<const uint8_t> bytes) override { return cfs::write_all(fd_, bytes); }

 private:
  int fd_;
};

}  // namespace

// Returns rather than exiting so the AtomicFile removes its temporary file on failure.
static cfs::Result<void> write_atomically(const std::string& dst, cfs::tree::Tree&& tree,
                                          const cfs::erofs::WriteOptions& options) {
  auto out = CFS_TRY(cfs::AtomicFile::create(dst));
  FdSink sink(out.fd());
  auto written = cfs::erofs::write_image(std::move(tree), options, sink);
  if (!written) return cfs::make_error(written.error().errnum, "cannot write file: " + written.error().msg);
  return out.commit();
}

int main(int argc, char** argv) {
  cfs::prefer_huge_pages();
  if (argc <= 1) {
    std::fprintf(stderr, "No source path specified\n");
    usage(argv[0]);
    return 1;
  }
  if (argc <= 2) {
    std::fprintf(stderr, "No destination path specified\n");
    usage(argv[0]);
    return 1;
  }
  const std::string src = argv[1], dst = argv[2];
  auto image = cfs::erofs::MappedImage::open(src);
  if (!image) die("Failed to open '" + src + "': " + image.error().msg);
  auto version = cfs::erofs::read_image_version(image->bytes());
  if (!version) die(src + ": " + version.error().msg);
  auto tree = cfs::erofs::read_image(image->bytes());
  if (!tree) die(src + ": " + tree.error().msg);
  // matches C: options.version = the header's version and max_version follows it.
  cfs::erofs::WriteOptions options{*version, *version};
  auto written = write_atomically(dst, std::move(*tree), options);
  if (!written) die(written.error().msg);
  return 0;
}
