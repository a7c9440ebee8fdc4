#include "oci/archive.hpp"

#include <archive.h>

namespace cfs::oci {

namespace {
constexpr size_t kBufferSize = size_t{1} << 17;
}

ArchiveReader::ArchiveReader(ByteSource& src, std::string what) : src_(src), what_(std::move(what)), buffer_(kBufferSize) {}

ArchiveReader::~ArchiveReader() {
  if (a_) archive_read_free(a_);
}

ssize_t ArchiveReader::read_callback(struct archive* a, void* self, const void** buffer) {
  auto* r = static_cast<ArchiveReader*>(self);
  auto n = r->src_.read(r->buffer_);
  if (!n) {
    archive_set_error(a, n.error().errnum, "%s", n.error().msg.c_str());
    r->source_error_ = n.take_error();
    return -1;
  }
  *buffer = r->buffer_.data();
  return static_cast<ssize_t>(*n);
}

Result<std::unique_ptr<ArchiveReader>> ArchiveReader::open(ByteSource& src, ArchiveKind kind, std::string what) {
  std::unique_ptr<ArchiveReader> r(new ArchiveReader(src, std::move(what)));
  r->a_ = archive_read_new();
  if (!r->a_) return make_error(ENOMEM, "cannot allocate an archive reader");
  if (kind != ArchiveKind::tar) {
    archive_read_support_filter_gzip(r->a_);
    archive_read_support_filter_zstd(r->a_);
    archive_read_support_filter_xz(r->a_);
    archive_read_support_filter_bzip2(r->a_);
  }
  if (kind == ArchiveKind::decompress)
    archive_read_support_format_raw(r->a_);
  else
    archive_read_support_format_tar(r->a_);
  archive_read_support_format_empty(r->a_);  // a layer of no entries may be 0 bytes (Go's tar reads that)
  if (archive_read_open(r->a_, r.get(), nullptr, &ArchiveReader::read_callback, nullptr) != ARCHIVE_OK)
    return r->error("cannot open");
  return r;
}

Error ArchiveReader::error(const std::string& context) const {
  if (source_error_) return *source_error_;
  const char* msg = archive_error_string(a_);
  int errnum = archive_errno(a_);
  return make_error(errnum > 0 ? errnum : EINVAL, what_ + ": " + context + ": " + (msg ? msg : "unknown archive error"));
}

Result<size_t> EntrySource::read(std::span<uint8_t> out) {
  la_ssize_t n = archive_read_data(reader_.get(), out.data(), out.size());
  if (n < 0) return reader_.error("reading");
  return static_cast<size_t>(n);
}

}  // namespace cfs::oci
