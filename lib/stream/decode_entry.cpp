// Mirrors lib/erofs/reader/{data,xattrs}.cpp (C: lcfs_build_node_from_image,
// lcfs_build_node_erofs_xattr) for the streaming walk. The two are compared on
// every golden image, random trees and the fuzz corpora (tests/stream).
#include "stream/decode_entry.hpp"

#include <algorithm>
#include <cstring>
#include <sys/stat.h>

#include "tree/tree.hpp"

namespace cfs::stream {
namespace fmt = cfs::format;
using erofs::reader::corrupt;

namespace {

constexpr uint64_t kBlock = fmt::EROFS_BLKSIZ;

// e_name_index -> name prefix (C: erofs_xattr_prefixes).
constexpr std::string_view kPrefixes[] = {
    "", "user.", "system.posix_acl_access", "system.posix_acl_default", "trusted.", "lustre.", "security."};

// Bytes up to the first NUL: C keeps names, targets and payloads as C strings.
std::string_view c_string(std::span<const uint8_t> b) {
  const char* s = reinterpret_cast<const char*>(b.data());
  const void* nul = b.empty() ? nullptr : std::memchr(s, 0, b.size());
  return {s, nul ? static_cast<size_t>(static_cast<const char*>(nul) - s) : b.size()};
}

std::string_view as_chars(std::span<const uint8_t> b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

std::string inode_where(uint64_t nid) { return "inode " + std::to_string(nid); }

Result<std::string_view> symlink_view(const Image& img, const Inode& ino) {
  if (ino.size >= fmt::PATH_MAX_LEN || !ino.flat()) return corrupt(inode_where(ino.nid) + ": bad symlink");
  auto raw = ino.tailpacked() ? CFS_TRY(erofs::reader::inline_tail(img, ino, ino.size))
                              : CFS_TRY(img.bytes(uint64_t{ino.i_u} * kBlock, ino.size));
  // matches C: the target is a C string; its length becomes the size.
  std::string_view target = c_string(raw);
  if (target.empty()) return corrupt(inode_where(ino.nid) + ": empty symlink target");
  return target;
}

// Inline content as a view; `scratch` joins a full block and the tail (> 4096 bytes).
Result<std::string_view> content_view(const Image& img, const Inode& ino, std::string& scratch) {
  if (ino.size == 0) return std::string_view();
  if (!ino.flat()) {
    CFS_CHECK(erofs::reader::check_chunk_table(img, ino));
    return std::string_view();
  }
  // Inline content: C caps it at 5000 bytes (and the image size).
  if (ino.size > std::min<uint64_t>(fmt::LCFS_INLINE_CONTENT_MAX, img.size()))
    return corrupt(inode_where(ino.nid) + ": inline content too large");
  if (!ino.tailpacked()) return as_chars(CFS_TRY(img.bytes(uint64_t{ino.i_u} * kBlock, ino.size)));
  const uint64_t tail = ino.size % kBlock;
  if (tail == 0) return corrupt(inode_where(ino.nid) + ": inline layout without an inline tail");
  auto head = CFS_TRY(erofs::reader::blocks(img, ino.i_u, ino.size / kBlock));
  auto rest = CFS_TRY(erofs::reader::inline_tail(img, ino, tail));
  if (head.empty()) return as_chars(rest);
  scratch.assign(as_chars(head));
  scratch.append(as_chars(rest));
  return std::string_view(scratch);
}

}  // namespace

// One xattr entry as stored: the name is split in its prefix and stored suffix.
struct EntryDecoder::Stored {
  uint8_t index = 0;        // e_name_index
  std::string_view prefix;
  std::string_view suffix;  // up to the first NUL of the stored name
  std::span<const uint8_t> value;
  uint64_t value_pos = 0;   // image offset of the value
  uint64_t entry_size = 0;  // header + name + value, padded to 4
  size_t name_size() const { return prefix.size() + suffix.size(); }
  /// The full name (prefix + suffix) is `name`.
  bool is(std::string_view name) const {
    return name.size() == name_size() && name.starts_with(prefix) && name.ends_with(suffix);
  }
};

// A name in two pieces, compared without joining them.
struct EntryDecoder::Joined {
  std::string_view prefix, suffix;
  bool operator==(std::string_view name) const {
    return name.size() == prefix.size() + suffix.size() && name.starts_with(prefix) && name.ends_with(suffix);
  }
};

namespace {

Result<void> read_stored(const Image& img, uint64_t pos, uint64_t end, auto&& where, auto& x) {
  auto e = img.read<fmt::erofs_xattr_entry>(pos);
  if (!e || pos + sizeof(fmt::erofs_xattr_entry) > end) return corrupt(where() + ": xattr entry outside its area");
  const uint64_t body = sizeof(fmt::erofs_xattr_entry) + e->e_name_len + e->e_value_size;
  if (pos + body > end) return corrupt(where() + ": xattr entry overruns its area");
  if (e->e_name_index >= std::size(kPrefixes)) return corrupt(where() + ": unknown xattr name index");
  auto bytes = CFS_TRY(img.bytes(pos, body));
  x.index = e->e_name_index;
  x.prefix = kPrefixes[e->e_name_index];
  x.suffix = c_string(bytes.subspan(sizeof(fmt::erofs_xattr_entry), e->e_name_len));
  x.value = bytes.subspan(sizeof(fmt::erofs_xattr_entry) + e->e_name_len);
  x.value_pos = pos + sizeof(fmt::erofs_xattr_entry) + e->e_name_len;
  x.entry_size = (body + 3) & ~uint64_t{3};
  return {};
}

// Calls fn(Stored&) for each xattr of `ino`: inline ones first, then shared ones
// (C's order). Same checks and messages as the tree reader's each_xattr.
template <class StoredT, class Fn>
Result<void> each_stored(const Image& img, const Inode& ino, Fn&& fn) {
  if (ino.xattr_size == 0) return {};
  auto where = [&] { return inode_where(ino.nid); };
  auto hdr = CFS_TRY(img.read<fmt::erofs_xattr_ibody_header>(ino.xattr_pos));
  const uint64_t end = ino.xattr_pos + ino.xattr_size;
  uint64_t pos = ino.xattr_pos + sizeof hdr + 4 * uint64_t{hdr.h_shared_count};
  if (pos > end) return corrupt(where() + ": shared xattr count overruns the xattr area");
  StoredT x;
  // C's loop condition: an entry needs more than its 4 header bytes left.
  while (pos + sizeof(fmt::erofs_xattr_entry) < end) {
    CFS_CHECK(read_stored(img, pos, end, where, x));
    pos += x.entry_size;
    CFS_CHECK(fn(x));
  }
  for (unsigned i = 0; i < hdr.h_shared_count; ++i) {
    uint32_t id = CFS_TRY(img.read<fmt::le32>(ino.xattr_pos + sizeof hdr + 4 * uint64_t{i}));
    uint64_t at = img.xattr_start() + 4 * uint64_t{id};
    auto shared_where = [&] { return where() + " shared xattr " + std::to_string(id); };
    CFS_CHECK(read_stored(img, at, img.size(), shared_where, x));
    CFS_CHECK(fn(x));
  }
  return {};
}

// C's worst-case estimate of one xattr entry (metadata doubled for alignment).
uint64_t accounted_size(size_t name_len, size_t value_len) {
  return 2 * fmt::LCFS_INODE_XATTRMETA_SIZE - 1 + name_len + value_len;
}

bool is_regular(uint32_t mode) { return (mode & S_IFMT) == S_IFREG; }

}  // namespace

Result<dump::EntryView> EntryDecoder::decode(const Image& img, const Inode& ino, Budget* budget, bool keep_xattrs) {
  view_ = dump::EntryView{};
  keep_xattrs_ = keep_xattrs;
  view_.mode = ino.mode;
  view_.nlink = ino.nlink;
  view_.uid = ino.uid;
  view_.gid = ino.gid;
  view_.size = ino.size;
  view_.mtime_sec = ino.mtime_sec;
  view_.mtime_nsec = ino.mtime_nsec;
  if (ino.type() == S_IFCHR || ino.type() == S_IFBLK) view_.rdev = ino.i_u;
  CFS_CHECK(load_data(img, ino, budget));
  CFS_CHECK(load_xattrs(img, ino, budget));
  return view_;
}

Result<void> EntryDecoder::load_data(const Image& img, const Inode& ino, Budget* budget) {
  if (ino.type() == S_IFLNK) {
    view_.payload = CFS_TRY(symlink_view(img, ino));
    view_.size = view_.payload->size();
    return budget ? budget->take(view_.size) : Result<void>();
  }
  if (ino.type() != S_IFREG) return {};
  view_.content = CFS_TRY(content_view(img, ino, content_scratch_));
  return budget ? budget->take(view_.content.size()) : Result<void>();
}

Result<void> EntryDecoder::load_xattrs(const Image& img, const Inode& ino, Budget* budget) {
  xattrs_.clear();
  xattr_accounted_ = 0;
  auto decode_one = [&](Stored& x) -> Result<void> {
    if (budget) CFS_CHECK(budget->take(x.name_size() + x.value.size() + sizeof(tree::Xattr)));
    return apply(img, x);
  };
  auto all = each_stored<Stored>(img, ino, decode_one);
  view_.xattrs = xattrs_;
  return all;
}

// The tree reader's apply(): what each overlay xattr turns back into.
Result<void> EntryDecoder::apply(const Image& img, Stored& x) {
  // Every name handled below starts with "trusted.overlay." or "user.overlay."
  // (index 4 or 1, or index 0 with the whole name stored): others go straight in.
  constexpr uint8_t kNoPrefix = 0, kUser = 1, kTrusted = 4;
  const bool maybe_overlay = x.index == kNoPrefix ||
                             ((x.index == kUser || x.index == kTrusted) && x.suffix.starts_with("overlay."));
  if (!maybe_overlay) return keep_xattrs_ ? set_xattr(x.prefix, x.suffix, as_chars(x.value)) : Result<void>();
  if (x.is(fmt::OVERLAY_XATTR_REDIRECT)) {
    // matches C quirk (lcfs_build_node_erofs_xattr): for a value "/x..." C does
    // value++ and value_size++ instead of --, so the payload takes up to two bytes
    // past the value until a NUL (see lib/erofs/reader/xattrs.cpp).
    if (!is_regular(view_.mode)) return {};
    if (x.value.size() > 1 && x.value[0] == '/')
      view_.payload = c_string(img.bytes_clamped(x.value_pos + 1, x.value.size() + 1));
    else
      view_.payload = c_string(x.value);
    return {};
  }
  if (x.is(fmt::OVERLAY_XATTR_METACOPY)) {
    if (!is_regular(view_.mode)) return {};
    if (auto d = fmt::metacopy_digest(x.value)) view_.digest = *d;
    return {};
  }
  if (x.is(fmt::OVERLAY_XATTR_ESCAPED_WHITEOUT) && is_regular(view_.mode)) {
    // Back to a whiteout; C leaves content, payload and digest alone here.
    view_.mode = (view_.mode & ~uint32_t{S_IFMT}) | S_IFCHR;
    view_.rdev = 0;
    view_.size = 0;
    return {};
  }
  std::string& name = name_scratch_;
  name.assign(x.prefix);
  name.append(x.suffix);
  if (name == fmt::OVERLAY_XATTR_ESCAPED_WHITEOUTS || name == fmt::OVERLAY_XATTR_USERXATTR_WHITEOUT ||
      name == fmt::OVERLAY_XATTR_USERXATTR_WHITEOUTS)
    return {};  // writer-added markers
  if (name.starts_with(fmt::OVERLAY_XATTR_PREFIX)) {
    if (!name.starts_with(fmt::OVERLAY_XATTR_ESCAPE_PREFIX)) return {};  // writer-added (opaque...)
    name.erase(fmt::OVERLAY_XATTR_PREFIX.size(), fmt::OVERLAY_XATTR_ESCAPE_PREFIX.size() - fmt::OVERLAY_XATTR_PREFIX.size());
  }
  return keep_xattrs_ ? set_xattr({}, name, as_chars(x.value)) : Result<void>();
}

// C's lcfs_node_set_xattr bookkeeping (as tree::Node::set_xattr and the tree
// reader's XattrList): a repeated name moves the last xattr into its slot and is
// appended anew; the accounted size may not pass 65535.
Result<void> EntryDecoder::set_xattr(std::string_view prefix, std::string_view suffix, std::string_view value) {
  const size_t size = prefix.size() + suffix.size();
  if (size == 0 || size > fmt::LCFS_XATTR_NAME_MAX) return make_error(ERANGE, "bad xattr name length");
  Joined name{prefix, suffix};
  uint64_t entry = accounted_size(size, value.size());
  auto old = std::find_if(xattrs_.begin(), xattrs_.end(), [&](const dump::XattrView& v) { return name == v.name; });
  if (old != xattrs_.end()) {
    xattr_accounted_ -= std::min(accounted_size(old->name.size(), old->value.size()), xattr_accounted_);
    const size_t hole = old - xattrs_.begin(), last = xattrs_.size() - 1;
    if (hole != last) {
      std::swap(names_[hole], names_[last]);
      xattrs_[hole] = {names_[hole], xattrs_[last].value};
    }
    xattrs_.pop_back();
  }
  const size_t slot = xattrs_.size();
  if (names_.size() <= slot) names_.resize(slot + 1);
  names_[slot].assign(prefix);
  names_[slot].append(suffix);
  xattrs_.push_back({names_[slot], value});
  if (xattrs_.size() == 1) {  // the only one: the header is counted with it
    xattr_accounted_ = 0;
    entry += fmt::LCFS_XATTR_HEADER_SIZE;
  }
  if (xattr_accounted_ + entry > UINT16_MAX) return make_error(ERANGE, "xattrs of one inode too large");
  xattr_accounted_ += entry;
  return {};
}

}  // namespace cfs::stream
