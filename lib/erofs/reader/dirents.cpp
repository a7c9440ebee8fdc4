// Directory blocks -> entries, with every offset and name checked.
#include <cstring>
#include <string>

#include "erofs/reader/decode.hpp"

namespace cfs::erofs::reader {
namespace fmt = cfs::format;
namespace {

constexpr uint64_t kDirent = sizeof(fmt::erofs_dirent);

Result<void> check_name(std::string_view name, const std::string& where) {
  if (name.empty()) return corrupt(where + ": empty directory entry name");
  if (name.size() > fmt::LCFS_MAX_NAME_LENGTH) return make_error(ENAMETOOLONG, where + ": name too long");
  if (std::memchr(name.data(), '/', name.size()) || std::memchr(name.data(), 0, name.size()))
    return corrupt(where + ": directory entry name holds '/' or NUL");
  return {};
}

fmt::erofs_dirent dirent_at(std::span<const uint8_t> block, uint64_t i) {
  fmt::erofs_dirent d;
  std::memcpy(&d, block.data() + i * kDirent, kDirent);  // caller checked (i+1)*12 <= size
  return d;
}

// One block (or the inline tail): `n` dirents, then their names back to back. The
// last name runs to the first NUL or the end of the block (C: strnlen).
Result<void> parse_block(std::span<const uint8_t> block, std::vector<RawDirent>& out, const std::string& where) {
  if (block.size() < kDirent) return corrupt(where + ": directory block too small");
  const uint64_t first = dirent_at(block, 0).nameoff;
  if (first == 0 || first % kDirent != 0 || first > block.size())
    return corrupt(where + ": bad first directory name offset");
  const uint64_t n = first / kDirent;
  for (uint64_t i = 0; i < n; ++i) {
    fmt::erofs_dirent d = dirent_at(block, i);
    uint64_t off = d.nameoff;
    uint64_t end;
    if (i + 1 < n) {
      end = dirent_at(block, i + 1).nameoff;
    } else {
      end = off;
      while (end < block.size() && block[end] != 0) ++end;
    }
    if (off < first || end <= off || end > block.size())
      return corrupt(where + ": directory name offsets not increasing inside the block");
    std::string_view name(reinterpret_cast<const char*>(block.data()) + off, end - off);
    CFS_CHECK(check_name(name, where));
    if (!out.empty() && !(out.back().name < name))
      return corrupt(where + ": directory entries not sorted or duplicated");
    out.push_back({name, d.nid, d.file_type});
  }
  return {};
}

}  // namespace

Result<std::vector<RawDirent>> read_dirents(const Image& img, const Inode& ino) {
  const std::string where = "directory inode " + std::to_string(ino.nid);
  if (!ino.flat()) return corrupt(where + ": chunk-based directory");
  constexpr uint64_t kBlock = fmt::EROFS_BLKSIZ;
  const uint64_t tail = ino.tailpacked() ? ino.size % kBlock : 0;
  if (ino.tailpacked() && tail == 0) return corrupt(where + ": inline layout without an inline tail");
  const uint64_t n_blocks = ino.size / kBlock + (ino.size % kBlock != 0) - (ino.tailpacked() ? 1 : 0);
  // Checked in one piece before reading: the directory's blocks lie in the image.
  auto oob = CFS_TRY(blocks(img, ino.i_u, n_blocks));
  std::vector<RawDirent> out;
  for (uint64_t b = 0; b < n_blocks; ++b) {
    uint64_t len = kBlock;
    // A directory without an inline tail may end in a partial block (C reads it so).
    if (!ino.tailpacked() && b + 1 == n_blocks && ino.size % kBlock != 0) len = ino.size % kBlock;
    CFS_CHECK(parse_block(oob.subspan(b * kBlock, len), out, where));
  }
  if (tail) CFS_CHECK(parse_block(CFS_TRY(inline_tail(img, ino, tail)), out, where));
  return out;
}

}  // namespace cfs::erofs::reader
