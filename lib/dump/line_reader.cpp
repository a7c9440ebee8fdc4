// Streaming input for the dump parser: reads plain or gzip-compressed text from an
// fd in large chunks and hands complete lines to DumpParser.
#include <string>
#include <unistd.h>
#include <zlib.h>

#include "dump/parse.hpp"
#include "util/io.hpp"

namespace cfs::dump {
namespace {

struct GzFile {
  gzFile f = nullptr;
  ~GzFile() {
    if (f) gzclose(f);
  }
};

constexpr unsigned kChunk = 256 << 10;

}  // namespace

Result<tree::Tree> parse_dump_fd(int fd, ParseOptions options) {
  int own = ::dup(fd);
  if (own < 0) return errno_error(errno, "dup");
  GzFile in;
  // gzread passes data that is not gzip through unchanged, so this reads both.
  in.f = gzdopen(own, "rb");
  if (!in.f) {
    ::close(own);
    return make_error(ENOMEM, "cannot open input stream");
  }
  gzbuffer(in.f, kChunk);

  DumpParser parser(options);
  std::string buf;
  size_t start = 0;  // first byte of buf not yet consumed
  while (true) {
    if (start > 0 && start * 2 > buf.size()) {
      buf.erase(0, start);
      start = 0;
    }
    size_t old = buf.size();
    buf.resize(old + kChunk);
    int n = gzread(in.f, buf.data() + old, kChunk);
    if (n < 0) {
      int zerr = 0;
      const char* msg = gzerror(in.f, &zerr);
      if (zerr == Z_ERRNO) return errno_error(errno, "read");
      return make_error(EIO, std::string("corrupt compressed input: ") + msg);
    }
    buf.resize(old + static_cast<size_t>(n));
    size_t nl;
    while ((nl = buf.find('\n', start)) != std::string::npos) {
      CFS_CHECK(parser.add_line(std::string_view(buf).substr(start, nl - start)));
      start = nl + 1;
    }
    if (n == 0) break;
  }
  if (start < buf.size()) {
    // A last line without '\n': accepted unless strict (finish() decides).
    CFS_CHECK(parser.add_line(std::string_view(buf).substr(start)));
    return parser.finish(false);
  }
  return parser.finish(true);
}

}  // namespace cfs::dump
