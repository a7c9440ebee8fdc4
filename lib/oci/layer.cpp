#include "oci/layer.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include <algorithm>

namespace cfs::oci {

Result<std::string> clean_path(std::string_view raw) {
  if (raw.starts_with('/')) return make_error(EINVAL, "absolute path escapes the root");
  std::string out;
  size_t pos = 0;
  while (pos <= raw.size()) {
    size_t end = raw.find('/', pos);
    if (end == std::string_view::npos) end = raw.size();
    std::string_view part = raw.substr(pos, end - pos);
    pos = end + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") return make_error(EINVAL, "\"..\" escapes the root");
    if (!out.empty()) out += '/';
    out.append(part);
  }
  return out;
}

Result<size_t> LayerReader::Uncompressed::read(std::span<uint8_t> out) {
  if (ended) return size_t{0};
  la_ssize_t n = archive_read_data(raw_.get(), out.data(), out.size());
  if (n < 0) return raw_.error("decompressing");
  if (n == 0) ended = true;
  sha.update(out.first(static_cast<size_t>(n)));
  return static_cast<size_t>(n);
}

Result<std::unique_ptr<LayerReader>> LayerReader::open(ByteSource& blob, std::string what) {
  std::unique_ptr<LayerReader> r(new LayerReader());
  r->what_ = what;
  r->raw_ = CFS_TRY(ArchiveReader::open(blob, ArchiveKind::decompress, what));
  r->uncompressed_ = std::make_unique<Uncompressed>(*r->raw_);
  struct archive_entry* entry = nullptr;
  int rc = archive_read_next_header(r->raw_->get(), &entry);
  if (rc == ARCHIVE_EOF) r->uncompressed_->ended = true;  // an empty blob
  else if (rc != ARCHIVE_OK) return r->raw_->error("decompressing");
  r->tar_ = CFS_TRY(ArchiveReader::open(*r->uncompressed_, ArchiveKind::tar, what));
  return r;
}

namespace {

Result<void> fill_entry(struct archive_entry* e, TarEntry& out) {
  const char* name = archive_entry_pathname(e);
  if (!name) return make_error(EINVAL, "entry without a name");
  out.raw_path = name;
  out.path = CFS_TRY(clean_path(out.raw_path));
  out.mode = archive_entry_filetype(e) | (archive_entry_perm(e) & 07777);
  la_int64_t uid = archive_entry_uid(e), gid = archive_entry_gid(e);
  if (uid < 0 || gid < 0 || uid > UINT32_MAX || gid > UINT32_MAX) return make_error(EINVAL, "owner out of range");
  out.uid = static_cast<uint32_t>(uid);
  out.gid = static_cast<uint32_t>(gid);
  // libarchive keeps 64-bit times but hands them out as time_t: where time_t is
  // 32 bits (Debian's i386) an mtime outside 1901-2038 arrives wrapped and cannot
  // be told from a real one (README, "Architectures").
  out.mtime_sec = archive_entry_mtime(e);
  long nsec = archive_entry_mtime_nsec(e);
  out.mtime_nsec = nsec >= 0 && nsec < 1000000000 ? static_cast<uint32_t>(nsec) : 0;
  la_int64_t size = archive_entry_size(e);
  out.size = size > 0 ? static_cast<uint64_t>(size) : 0;
  out.symlink.clear();
  if (const char* t = archive_entry_symlink(e)) out.symlink = t;
  out.hardlink.reset();
  if (const char* h = archive_entry_hardlink(e)) {
    auto target = clean_path(h);
    if (!target) return make_error(EINVAL, "hard link target \"" + std::string(h) + "\": " + target.error().msg);
    out.hardlink = std::move(*target);
  }
  out.rdev_major = static_cast<uint32_t>(archive_entry_rdevmajor(e));
  out.rdev_minor = static_cast<uint32_t>(archive_entry_rdevminor(e));
  out.xattrs.clear();
  archive_entry_xattr_reset(e);
  const char* xname;
  const void* value;
  size_t value_size;
  while (archive_entry_xattr_next(e, &xname, &value, &value_size) == ARCHIVE_OK)
    out.xattrs.emplace_back(xname, std::string(static_cast<const char*>(value), value_size));
  return {};
}

}  // namespace

Result<bool> LayerReader::next(TarEntry& out) {
  if (unpadded_end_) return false;
  struct archive_entry* e = nullptr;
  int rc = archive_read_next_header(tar_->get(), &e);
  if (rc == ARCHIVE_EOF) return false;
  if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) return tar_->error("reading the entry after \"" + out.raw_path + "\"");
  entry_size_ = archive_entry_size(e) > 0 ? static_cast<uint64_t>(archive_entry_size(e)) : 0;
  delivered_end_ = 0;
  auto filled = fill_entry(e, out);
  if (!filled) {
    const char* name = archive_entry_pathname(e);
    return make_error(EINVAL, what_ + ": " + (name ? name : "?") + ": " + filled.error().msg);
  }
  return true;
}

Result<std::optional<LayerReader::Block>> LayerReader::data_block() {
  const void* buf = nullptr;
  size_t size = 0;
  la_int64_t offset = 0;
  int rc = archive_read_data_block(tar_->get(), &buf, &size, &offset);
  if (rc == ARCHIVE_EOF) return std::optional<Block>();
  if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
    // The stream ends right after the last entry's data, without the padding to
    // 512 bytes and the two zero blocks: Go's tar reads that as the end (and umoci
    // 0.4.7's `insert` writes such layers), so we do too. Data cut short stays an error.
    if (uncompressed_->ended && entry_size_ > 0 && delivered_end_ == entry_size_) {
      unpadded_end_ = true;
      return std::optional<Block>();
    }
    return tar_->error("reading data");
  }
  if (offset < 0) return make_error(EINVAL, what_ + ": negative data offset");
  delivered_end_ = std::max(delivered_end_, static_cast<uint64_t>(offset) + size);
  return std::optional<Block>(Block{static_cast<uint64_t>(offset), {static_cast<const uint8_t*>(buf), size}});
}

Result<std::string> LayerReader::finish() {
  std::vector<uint8_t> buf(1 << 16);
  while (CFS_TRY(uncompressed_->read(buf)) != 0) {
  }
  return uncompressed_->sha.finish_digest();
}

}  // namespace cfs::oci
