// Xattrs of one inode -> tree::Node, undoing the writer's overlayfs rewrite the
// way composefs-c 1.0.8 does (C: lcfs_build_node_erofs_xattr).
#include <algorithm>
#include <string>

#include "erofs/reader/decode.hpp"

namespace cfs::erofs::reader {
namespace fmt = cfs::format;
namespace {

// e_name_index -> name prefix (C: erofs_xattr_prefixes).
constexpr std::string_view kPrefixes[] = {
    "", "user.", "system.posix_acl_access", "system.posix_acl_default", "trusted.", "lustre.", "security."};

struct RawXattr {
  std::string name;
  std::span<const uint8_t> value;
  uint64_t value_pos = 0;  // image offset of the value
  uint64_t entry_size = 0; // header + name + value, padded to 4
};

// Bytes up to the first NUL: C keeps names and payloads as C strings.
std::string c_string(std::span<const uint8_t> b) {
  auto nul = std::find(b.begin(), b.end(), uint8_t{0});
  return std::string(b.begin(), nul);
}

Result<RawXattr> read_entry(const Image& img, uint64_t pos, uint64_t end, const std::string& where) {
  auto e = img.read<fmt::erofs_xattr_entry>(pos);
  if (!e || pos + sizeof(fmt::erofs_xattr_entry) > end) return corrupt(where + ": xattr entry outside its area");
  uint64_t body = sizeof(fmt::erofs_xattr_entry) + e->e_name_len + e->e_value_size;
  if (pos + body > end) return corrupt(where + ": xattr entry overruns its area");
  if (e->e_name_index >= std::size(kPrefixes)) return corrupt(where + ": unknown xattr name index");
  auto bytes = CFS_TRY(img.bytes(pos, body));
  RawXattr x;
  x.name = std::string(kPrefixes[e->e_name_index]) +
           c_string(bytes.subspan(sizeof(fmt::erofs_xattr_entry), e->e_name_len));
  x.value = bytes.subspan(sizeof(fmt::erofs_xattr_entry) + e->e_name_len);
  x.value_pos = pos + sizeof(fmt::erofs_xattr_entry) + e->e_name_len;
  x.entry_size = (body + 3) & ~uint64_t{3};
  return x;
}

// The node's xattr list with C's bookkeeping (C: lcfs_node_set_xattr_internal,
// lcfs_node_unset_xattr): replacing a name moves the last xattr into its slot, and
// the accounted size may not pass 65535.
class XattrList {
 public:
  XattrList(tree::Tree& tree, tree::Node& node) : tree_(tree), node_(node) {}

  Result<void> set(std::string_view name, std::span<const uint8_t> value) {
    if (name.empty() || name.size() > fmt::LCFS_XATTR_NAME_MAX) return make_error(ERANGE, "bad xattr name length");
    uint64_t entry = entry_size(name.size(), value.size());
    auto kept = tree_.keep_xattr(name, {reinterpret_cast<const char*>(value.data()), value.size()});
    if (auto old = node_.set_xattr(kept.name, kept.value))
      size_ -= std::min(entry_size(old->name.size(), old->value.size()), size_);
    if (node_.xattrs.size() == 1) {  // the only one: the header is counted with it
      size_ = 0;
      entry += fmt::LCFS_XATTR_HEADER_SIZE;
    }
    if (size_ + entry > UINT16_MAX) return make_error(ERANGE, "xattrs of one inode too large");
    size_ += entry;
    return {};
  }

 private:
  // C's worst-case estimate of one entry (metadata doubled for alignment).
  static uint64_t entry_size(size_t name_len, size_t value_len) {
    return 2 * fmt::LCFS_INODE_XATTRMETA_SIZE - 1 + name_len + value_len;
  }

  tree::Tree& tree_;
  tree::Node& node_;
  uint64_t size_ = 0;
};

// matches C quirk (lcfs_build_node_erofs_xattr): for a value "/x..." C does
// value++ and value_size++ instead of --, then strndup()s, so the payload takes up
// to two bytes past the value (padding, the next entry's header, chunk table
// bytes...) until a NUL. Reproduced here, reading only inside the image.
std::string redirect_payload(const Image& img, const RawXattr& x) {
  if (x.value.size() > 1 && x.value[0] == '/')
    return c_string(img.bytes_clamped(x.value_pos + 1, x.value.size() + 1));
  return c_string(x.value);
}

bool is_regular(const tree::Node& n) { return n.type() == S_IFREG; }

Result<void> apply(const Image& img, tree::Tree& tree, tree::Node& node, XattrList& list, RawXattr&& x) {
  if (x.name == fmt::OVERLAY_XATTR_REDIRECT) {
    if (is_regular(node)) node.payload = tree.keep(redirect_payload(img, x));
    return {};
  }
  if (x.name == fmt::OVERLAY_XATTR_METACOPY) {
    if (!is_regular(node)) return {};
    if (auto d = fmt::metacopy_digest(x.value)) node.digest = tree.keep(*d);
    return {};
  }
  if (x.name == fmt::OVERLAY_XATTR_ESCAPED_WHITEOUT && is_regular(node)) {
    // Back to a whiteout: a character device 0:0. C leaves content, payload and
    // digest alone here.
    node.mode = (node.mode & ~uint32_t{S_IFMT}) | S_IFCHR;
    node.rdev = 0;
    node.size = 0;
    return {};
  }
  if (x.name == fmt::OVERLAY_XATTR_ESCAPED_WHITEOUTS || x.name == fmt::OVERLAY_XATTR_USERXATTR_WHITEOUT ||
      x.name == fmt::OVERLAY_XATTR_USERXATTR_WHITEOUTS)
    return {};  // writer-added markers
  // C keeps trusted.overlay.overlay.opaque and user.overlay.opaque (as
  // trusted.overlay.opaque / user.overlay.opaque): only the names above are dropped.
  if (x.name.starts_with(fmt::OVERLAY_XATTR_PREFIX)) {
    if (!x.name.starts_with(fmt::OVERLAY_XATTR_ESCAPE_PREFIX)) return {};  // writer-added (opaque...)
    x.name.erase(fmt::OVERLAY_XATTR_PREFIX.size(), fmt::OVERLAY_XATTR_ESCAPE_PREFIX.size() - fmt::OVERLAY_XATTR_PREFIX.size());
  }
  return list.set(x.name, x.value);
}

}  // namespace

namespace {

// Calls fn(RawXattr&&) for each entry of `ino`: inline ones first, then shared
// ones (C's order, which the dump shows, and the kernel's listxattr order).
template <class Fn>
Result<void> each_xattr(const Image& img, const Inode& ino, Fn&& fn) {
  if (ino.xattr_size == 0) return {};
  const std::string where = "inode " + std::to_string(ino.nid);
  auto hdr = CFS_TRY(img.read<fmt::erofs_xattr_ibody_header>(ino.xattr_pos));
  const uint64_t end = ino.xattr_pos + ino.xattr_size;
  uint64_t pos = ino.xattr_pos + sizeof hdr + 4 * uint64_t{hdr.h_shared_count};
  if (pos > end) return corrupt(where + ": shared xattr count overruns the xattr area");
  // C's loop condition: an entry needs more than its 4 header bytes left.
  while (pos + sizeof(fmt::erofs_xattr_entry) < end) {
    auto x = CFS_TRY(read_entry(img, pos, end, where));
    pos += x.entry_size;
    CFS_CHECK(fn(std::move(x)));
  }
  for (unsigned i = 0; i < hdr.h_shared_count; ++i) {
    uint32_t id = CFS_TRY(img.read<fmt::le32>(ino.xattr_pos + sizeof hdr + 4 * uint64_t{i}));
    uint64_t at = img.xattr_start() + 4 * uint64_t{id};
    auto x = CFS_TRY(read_entry(img, at, img.size(), where + " shared xattr " + std::to_string(id)));
    CFS_CHECK(fn(std::move(x)));
  }
  return {};
}

}  // namespace

Result<void> decode_xattrs(const Image& img, const Inode& ino, tree::Tree& tree, tree::Node& node, Budget& budget) {
  XattrList list(tree, node);
  return each_xattr(img, ino, [&](RawXattr&& x) -> Result<void> {
    CFS_CHECK(budget.take(x.name.size() + x.value.size() + sizeof(tree::Xattr)));
    return apply(img, tree, node, list, std::move(x));
  });
}

Result<std::vector<StoredXattr>> stored_xattrs(const Image& img, const Inode& ino) {
  std::vector<StoredXattr> out;
  CFS_CHECK(each_xattr(img, ino, [&](RawXattr&& x) -> Result<void> {
    out.push_back(StoredXattr{std::move(x.name), x.value});
    return {};
  }));
  return out;
}

}  // namespace cfs::erofs::reader
