#include "oci/layout.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include <archive.h>
#include <archive_entry.h>

#include "oci/archive.hpp"
#include "oci/layer.hpp"
#include "util/file_stat.hpp"
#include "util/io.hpp"

namespace cfs::oci {
namespace {

// An oci-archive member, read from a reader of its own (the tarball is read up
// to the member each time; blobs are few and layers are read once).
class TarMemberSource : public ByteSource {
 public:
  TarMemberSource(UniqueFd fd, const std::string& path) : file_(std::move(fd), path) {}
  Result<void> seek(const std::string& name, const std::string& path) {
    reader_ = CFS_TRY(ArchiveReader::open(file_, ArchiveKind::any_tar, path));
    struct archive_entry* e = nullptr;
    while (true) {
      int rc = archive_read_next_header(reader_->get(), &e);
      if (rc == ARCHIVE_EOF) return make_error(ENOENT, path + ": no " + name + " in the archive");
      if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) return reader_->error("looking for " + name);
      const char* member = archive_entry_pathname(e);
      auto clean = clean_path(member ? member : "");
      if (clean && *clean == name && archive_entry_filetype(e) == AE_IFREG) break;
    }
    entry_.emplace(*reader_);
    return {};
  }
  Result<size_t> read(std::span<uint8_t> out) override { return entry_->read(out); }

 private:
  FdSource file_;
  std::unique_ptr<ArchiveReader> reader_;
  std::optional<EntrySource> entry_;
};

std::string blob_name(const Descriptor& d) { return "blobs/sha256/" + std::string(d.hex()); }

}  // namespace

Result<Layout> Layout::open(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return errno_error(errno, path);
  FileStat st = CFS_TRY(stat_fd(fd.get(), path));  // statx: 64-bit times on i386 too
  Layout layout(path, S_ISDIR(st.mode) ? std::move(fd) : UniqueFd());
  auto marker = layout.read_member("oci-layout", 4096);
  if (!marker) return make_error(EINVAL, path + ": not an OCI image layout (" + marker.error().msg + ")");
  if (marker->find("imageLayoutVersion") == std::string::npos)
    return make_error(EINVAL, path + ": oci-layout has no imageLayoutVersion");
  return layout;
}

Result<std::unique_ptr<ByteSource>> Layout::open_member(const std::string& name) {
  if (dir_.valid()) {
    UniqueFd fd(::openat(dir_.get(), name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd.valid()) return errno_error(errno, path_ + "/" + name);
    return std::unique_ptr<ByteSource>(new FdSource(std::move(fd), path_ + "/" + name));
  }
  UniqueFd fd(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return errno_error(errno, path_);
  auto member = std::make_unique<TarMemberSource>(std::move(fd), path_);
  CFS_CHECK(member->seek(name, path_));
  return std::unique_ptr<ByteSource>(std::move(member));
}

Result<std::string> Layout::read_member(const std::string& name, uint64_t max) {
  auto src = CFS_TRY(open_member(name));
  return read_all(*src, max, path_ + ": " + name);
}

Result<Index> Layout::index() {
  std::string text = CFS_TRY(read_member("index.json", kMaxDocumentSize));
  return parse_index(text, path_ + ": index.json");
}

Result<std::unique_ptr<ByteSource>> Layout::open_blob(const Descriptor& d) { return open_member(blob_name(d)); }

Result<std::string> Layout::read_blob(const Descriptor& d, const std::string& what) {
  if (d.size > kMaxDocumentSize) return make_error(EFBIG, what + " " + d.digest + ": larger than 4 MiB");
  auto raw = CFS_TRY(open_blob(d));
  HashingSource hashed(*raw, d.size, what + " " + d.digest);
  std::string text = CFS_TRY(read_all(hashed, d.size, what + " " + d.digest));
  if (hashed.bytes() != d.size) return make_error(EINVAL, what + " " + d.digest + ": shorter than its descriptor's size");
  if (hashed.finish_digest() != d.digest) return make_error(EINVAL, what + " " + d.digest + ": digest mismatch");
  return text;
}

Result<Platform> parse_platform(std::string_view text) {
  Platform p;
  size_t a = text.find('/');
  if (a == std::string_view::npos || a == 0) return make_error(EINVAL, "invalid platform '" + std::string(text) + "' (OS/ARCH[/VARIANT])");
  p.os = text.substr(0, a);
  std::string_view rest = text.substr(a + 1);
  size_t b = rest.find('/');
  p.architecture = rest.substr(0, b);
  if (b != std::string_view::npos) p.variant = rest.substr(b + 1);
  if (p.architecture.empty() || (b != std::string_view::npos && p.variant.empty()))
    return make_error(EINVAL, "invalid platform '" + std::string(text) + "' (OS/ARCH[/VARIANT])");
  return p;
}

Platform host_platform() {
  struct utsname u;
  std::string machine = ::uname(&u) == 0 ? u.machine : "";
  static const std::pair<std::string_view, std::string_view> kGoArch[] = {
      {"x86_64", "amd64"}, {"aarch64", "arm64"}, {"i686", "386"}, {"i386", "386"}, {"armv7l", "arm"},
      {"ppc64le", "ppc64le"}, {"s390x", "s390x"}, {"riscv64", "riscv64"}, {"loongarch64", "loong64"}};
  for (auto [uname_name, go_name] : kGoArch)
    if (machine == uname_name) return {"linux", std::string(go_name), machine == "armv7l" ? "v7" : ""};
  return {"linux", machine, ""};
}

}  // namespace cfs::oci
