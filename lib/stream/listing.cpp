#include "stream/listing.hpp"

#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>

namespace cfs::stream {
namespace {

constexpr size_t kChunk = 256 * 1024;

// Collects lines and hands them to the sink in chunks of at least kChunk bytes.
class ChunkedText {
 public:
  explicit ChunkedText(const dump::TextSink& sink) : sink_(sink) { text_.reserve(kChunk + 8192); }
  ChunkedText(const ChunkedText&) = delete;
  ChunkedText& operator=(const ChunkedText&) = delete;
  std::string& text() { return text_; }
  void line_done() {
    if (text_.size() >= kChunk) flush();
  }
  void flush() {
    if (!text_.empty()) sink_(text_);
    text_.clear();
  }

 private:
  const dump::TextSink& sink_;
  std::string text_;
};

}  // namespace

Result<void> print_ls(std::span<const uint8_t> image, const WalkOptions& options, const dump::TextSink& out) {
  ChunkedText text(out);
  WalkOptions ls_options = options;
  ls_options.need_xattrs = false;
  CFS_CHECK(walk_image(image, ls_options, [&text](const WalkEntry& e) {
    if (e.is_root()) return;  // ls lists the entries below the root
    dump::append_ls_line(text.text(), e.path, e.inode, e.link_target != nullptr);
    text.line_done();
  }));
  text.flush();
  return {};
}

Result<void> print_dump(std::span<const uint8_t> image, const WalkOptions& options, const dump::TextSink& out) {
  ChunkedText text(out);
  CFS_CHECK(walk_image(image, options, [&text](const WalkEntry& e) {
    dump::append_dump_line(text.text(), e.path, e.inode, e.link_target);
    text.line_done();
  }));
  text.flush();
  return {};
}

Result<void> collect_objects(std::span<const uint8_t> image, const WalkOptions& options, ObjectSet& objects) {
  WalkOptions objects_options = options;
  objects_options.need_xattrs = false;
  return walk_image(image, objects_options, [&objects](const WalkEntry& e) {
    // Hardlink entries are left out, as by C: their inode is counted at its first name.
    if (e.link_target || e.inode.type() != S_IFREG || !e.inode.payload) return;
    objects.add(*e.inode.payload);
  });
}

namespace {

constexpr long kFaultsBetweenTrims = 256;  // with 64 KiB fault-around: <= 16 MiB mapped

long minor_faults() {
  struct rusage ru;
  return ::getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_minflt : 0;
}

}  // namespace

MappingTrimmer::MappingTrimmer(std::span<const uint8_t> mapping) : mapping_(mapping), faults_at_trim_(minor_faults()) {}

void MappingTrimmer::operator()() {
  const long faults = minor_faults();
  if (faults - faults_at_trim_ < kFaultsBetweenTrims || mapping_.empty()) return;
  // A private read-only file mapping never written to: the pages come back from
  // the file on the next access, so views into the mapping stay valid.
  ::madvise(const_cast<uint8_t*>(mapping_.data()), mapping_.size(), MADV_DONTNEED);
  faults_at_trim_ = minor_faults();
}

}  // namespace cfs::stream
