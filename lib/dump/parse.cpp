#include "dump/parse.hpp"

#include <array>
#include <charconv>
#include <limits>
#include <string>
#include <unordered_set>
#include <vector>

#include "dump/child_index.hpp"
#include "dump/escape.hpp"
#include "format/composefs.hpp"
#include "util/hex.hpp"

namespace cfs::dump {
namespace {

using tree::Node;
namespace fmt = cfs::format;

enum Field { PATH, SIZE, MODE, NLINK, UID, GID, RDEV, MTIME, PAYLOAD, CONTENT, DIGEST, kFixedFields };
constexpr const char* kFieldNames[kFixedFields] = {"PATH", "SIZE", "MODE", "NLINK", "UID", "GID",
                                                   "RDEV", "MTIME", "PAYLOAD", "CONTENT", "DIGEST"};

struct PendingLink {
  Node* node;
  std::string target;
  uint64_t line_no;
};

Error field_error(Field f, const std::string& what) {
  return make_error(EINVAL, std::string(kFieldNames[f]) + ": " + what);
}

// Plain decimal digits, no sign, no spaces: anything else is not a number.
Result<uint64_t> parse_decimal(std::string_view s, uint64_t max, Field f) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || s[0] == '-' || ec == std::errc::invalid_argument || end != s.data() + s.size())
    return field_error(f, "invalid number '" + std::string(s) + "'");
  if (ec == std::errc::result_out_of_range || v > max)
    return field_error(f, "'" + std::string(s) + "' is out of range (max " + std::to_string(max) + ")");
  return v;
}

// Octal. Bits above the 16 stored on disk are accepted and dropped, as C does (an
// upstream test asset has them); a value beyond 32 bits is rejected.
Result<uint32_t> parse_mode(std::string_view s) {
  uint32_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 8);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size())
    return field_error(MODE, "invalid mode '" + std::string(s) + "'");
  if (!tree::is_valid_file_type(v)) return field_error(MODE, "invalid file type in mode '" + std::string(s) + "'");
  return v;
}

Result<void> parse_mtime(std::string_view s, Node& node) {
  auto dot = s.find('.');
  if (dot == std::string_view::npos) return field_error(MTIME, "expected SECONDS.NANOSECONDS, got '" + std::string(s) + "'");
  std::string_view sec = s.substr(0, dot), nsec = s.substr(dot + 1);
  int64_t secv = 0;
  auto [end, ec] = std::from_chars(sec.data(), sec.data() + sec.size(), secv);
  if (sec.empty() || ec != std::errc() || end != sec.data() + sec.size())
    return field_error(MTIME, "invalid seconds '" + std::string(sec) + "'");
  auto nsecv = parse_decimal(nsec, 999999999, MTIME);
  if (!nsecv) return field_error(MTIME, "nanoseconds '" + std::string(nsec) + "' not in 0..999999999");
  node.mtime_sec = secv;
  node.mtime_nsec = static_cast<uint32_t>(*nsecv);
  return {};
}

std::optional<std::string_view> optional_field(std::string_view f) {
  if (f == "-") return std::nullopt;
  return f;
}

// Decodes a field into `scratch` (or returns it as is when it has no escapes).
Result<std::string_view> unescape_field(std::string_view raw, Field f, bool allow_nul, std::string& scratch) {
  auto r = unescape_into(raw, scratch);
  if (!r) return field_error(f, r.error().msg);
  if (!allow_nul && r->find('\0') != std::string_view::npos) return field_error(f, "contains a NUL byte");
  return r;
}

}  // namespace

struct DumpParser::State {
  ParseOptions options;
  tree::Tree tree;
  ChildIndex children;
  std::string xattr_name_scratch, xattr_value_scratch;
  std::string cached_dir_path;  // the parent part of the last path inserted...
  Node* cached_dir = nullptr;   // ...and its node: dumps list a directory's entries together
  std::array<std::string, kFixedFields> scratch;  // unescaped fields of the current line
  std::vector<PendingLink> links;
  uint64_t line_no = 0;
  std::optional<format::HashAlg> digest_alg;  // of the first DIGEST: the others must agree
  uint64_t digest_alg_line = 0;

  Result<void> parse_line(std::string_view line);
  Result<Node*> insert(std::string_view path, uint32_t mode);
  Result<Node*> walk_to_dir(std::string_view dir_part, std::string_view path) const;
  Result<void> parse_xattrs(std::string_view rest, Node& node);
  Result<void> parse_symlink(std::optional<std::string_view> payload, uint64_t size, bool has_content, Node& node);
  Result<tree::Digest> parse_digest(std::string_view field);
  Node* lookup(std::string_view path) const;
  Result<void> resolve_links();
};

Result<Node*> DumpParser::State::insert(std::string_view path, uint32_t mode) {
  Node* root = tree.root();
  if (path == "/") {
    if (root) return make_error(EINVAL, "duplicate root entry \"/\"");
    if ((mode & S_IFMT) != S_IFDIR) return make_error(EINVAL, "the root \"/\" must be a directory");
    Node* n = tree.new_node();
    n->mode = mode;
    tree.set_root(n);
    return n;
  }
  if (!root) return make_error(EINVAL, "the root entry \"/\" must come first");
  // Bounds the depth (at most 2048 levels) to what the reader and the kernel accept.
  if (path.size() >= fmt::PATH_MAX_LEN) return make_error(ENAMETOOLONG, "path longer than 4095 bytes");
  auto last_slash = path.rfind('/');
  std::string_view dir_part = last_slash == std::string_view::npos ? std::string_view{} : path.substr(0, last_slash);
  std::string_view rest = path.substr(last_slash == std::string_view::npos ? 0 : last_slash + 1);
  Node* dir = cached_dir;
  if (!dir || dir_part != cached_dir_path) {
    dir = CFS_TRY(walk_to_dir(dir_part, path));
    cached_dir_path.assign(dir_part);
    cached_dir = dir;
  }
  if (rest.empty()) return make_error(EINVAL, "empty file name in path " + std::string(path));
  if (rest == "." || rest == "..") return make_error(EINVAL, "invalid . or .. in path " + std::string(path));
  if (rest.size() > fmt::LCFS_MAX_NAME_LENGTH)
    return make_error(ENAMETOOLONG, "file name longer than 255 bytes in " + std::string(path));
  Node* n = tree.new_node();
  n->name = tree.keep(rest);
  n->parent = dir;
  n->mode = mode;
  // A refused duplicate leaves an unlinked node behind; the parse fails anyway.
  if (!children.add(n)) return make_error(EEXIST, "path " + std::string(path) + " already exists");
  return n;
}

// The directory `dir_part` names. Leading slashes are optional and repeated
// slashes collapse, as in C.
Result<Node*> DumpParser::State::walk_to_dir(std::string_view dir_part, std::string_view path) const {
  Node* dir = tree.root();
  while (true) {
    while (!dir_part.empty() && dir_part.front() == '/') dir_part.remove_prefix(1);
    if (dir_part.empty()) return dir;
    auto slash = dir_part.find('/');
    Node* child = children.find(dir, dir_part.substr(0, slash));
    if (!child) return make_error(ENOENT, "parent directory of " + std::string(path) + " is missing");
    if (!child->is_dir() || child->is_hardlink())
      return make_error(ENOTDIR, "parent of " + std::string(path) + " is not a directory");
    dir = child;
    if (slash == std::string_view::npos) return dir;
    dir_part.remove_prefix(slash);
  }
}

Node* DumpParser::State::lookup(std::string_view path) const {
  Node* cur = tree.root();
  while (true) {
    while (!path.empty() && path.front() == '/') path.remove_prefix(1);
    if (path.empty()) return cur;
    auto slash = path.find('/');
    cur = children.find(cur, path.substr(0, slash));
    if (!cur) return nullptr;
    if (slash == std::string_view::npos) return cur;
    path.remove_prefix(slash);
  }
}

Result<void> DumpParser::State::parse_xattrs(std::string_view rest, Node& node) {
  // The C parser caps the xattr part of a line at 64 KiB.
  if (rest.size() > 0xffff) return make_error(E2BIG, "too many xattrs (more than 65535 bytes)");
  size_t budget = 0;  // C's per-inode accounting: 12 + sum(7 + name + value) <= 32767
  while (!rest.empty()) {
    auto sp = rest.find(' ');
    std::string_view item = rest.substr(0, sp);
    rest = sp == std::string_view::npos ? std::string_view{} : rest.substr(sp + 1);
    auto eq = item.find('=');
    if (eq == std::string_view::npos) return make_error(EINVAL, "xattr '" + std::string(item) + "' has no '='");
    auto name = unescape_into(item.substr(0, eq), xattr_name_scratch);
    if (!name) return make_error(EINVAL, "xattr name: " + name.error().msg);
    auto value = unescape_into(item.substr(eq + 1), xattr_value_scratch);
    if (!value) return make_error(EINVAL, "xattr value: " + value.error().msg);
    if (name->empty() || name->size() > fmt::LCFS_XATTR_NAME_MAX)
      return make_error(ERANGE, "xattr name must be 1 to 255 bytes long");
    if (name->find('\0') != std::string_view::npos) return make_error(EINVAL, "xattr name contains a NUL byte");
    if (value->size() > fmt::LCFS_XATTR_VALUE_MAX)
      return make_error(ERANGE, "xattr value of " + std::string(*name) + " longer than 65535 bytes");
    if (node.find_xattr(*name)) return make_error(EEXIST, "xattr " + std::string(*name) + " given twice");
    budget += (node.xattrs.empty() ? fmt::LCFS_XATTR_HEADER_SIZE : 0) + 2 * fmt::LCFS_INODE_XATTRMETA_SIZE - 1 +
              name->size() + value->size();
    if (budget > fmt::LCFS_INODE_EXTERNAL_XATTR_MAX)
      return make_error(ERANGE, "xattrs take more than 32767 bytes");
    node.xattrs.push_back(tree.keep_xattr(*name, *value));
  }
  return {};
}

Result<void> DumpParser::State::parse_symlink(std::optional<std::string_view> payload, uint64_t size,
                                              bool has_content, Node& node) {
  if (!payload || payload->empty()) return field_error(PAYLOAD, "a symlink needs a non-empty target");
  if (payload->size() >= fmt::PATH_MAX_LEN) return field_error(PAYLOAD, "symlink target of 4096 bytes or more");
  if (options.strict && size != payload->size())
    return field_error(SIZE, "symlink size " + std::to_string(size) + " differs from its target length " +
                                 std::to_string(payload->size()));
  if (options.strict && has_content) return field_error(CONTENT, "a symlink cannot have content");
  node.size = payload->size();
  node.payload = tree.keep(*payload);
  return {};
}

// 64 hex digits are a SHA-256 digest, 128 a SHA-512 one (beyond C, which reads
// 64 and ignores the rest); one dump names objects of one algorithm only.
Result<tree::Digest> DumpParser::State::parse_digest(std::string_view field) {
  std::string_view hex = CFS_TRY(unescape_field(field, DIGEST, false, scratch[DIGEST]));
  auto digest = format::parse_hex_digest(hex);
  if (!digest) {
    bool cr = !hex.empty() && hex.back() == '\r';
    return field_error(DIGEST, "expected 64 (SHA-256) or 128 (SHA-512) hex digits, got '" + std::string(hex) + "'" +
                                   (cr ? " (CRLF line endings?)" : ""));
  }
  if (!digest_alg) {
    digest_alg = digest->alg();
    digest_alg_line = line_no;
  } else if (*digest_alg != digest->alg()) {
    return field_error(DIGEST, "a " + std::string(format::hash_name(digest->alg())) + " digest, but line " +
                                   std::to_string(digest_alg_line) + " has a " +
                                   std::string(format::hash_name(*digest_alg)) + " one (one algorithm per dump)");
  }
  return *digest;
}

Result<void> DumpParser::State::parse_line(std::string_view line) {
  if (line.find('\0') != std::string_view::npos) return make_error(EINVAL, "embedded NUL byte");
  if (line.empty()) return make_error(EINVAL, "empty line");
  // As in C, fields missing at the end of a line read as empty strings (an upstream
  // test asset relies on it); a missing DIGEST reads as "-".
  std::array<std::string_view, kFixedFields> f;
  std::string_view rest = line;
  int present = 0;
  for (int i = 0; i < kFixedFields && present == i; ++i) {
    auto sp = rest.find(' ');
    f[i] = rest.substr(0, sp);
    present = i + 1;
    if (sp == std::string_view::npos) {
      rest = {};
      break;
    }
    rest = rest.substr(sp + 1);
  }
  if (present <= DIGEST) f[DIGEST] = "-";

  std::string_view path = CFS_TRY(unescape_field(f[PATH], PATH, false, scratch[PATH]));
  if (path.empty()) return make_error(EINVAL, "empty path");
  bool hardlink = !f[MODE].empty() && f[MODE][0] == '@';
  uint32_t mode = CFS_TRY(parse_mode(f[MODE].substr(hardlink ? 1 : 0)));
  Node* node = CFS_TRY(insert(path, mode));

  if (hardlink) {
    // Only PATH, MODE and PAYLOAD (the target) matter on hardlink lines, as in C;
    // containers/storage writes '-' in the numeric fields there.
    if (node->is_dir()) return make_error(EINVAL, "directories can't be hardlinked");
    auto target = optional_field(f[PAYLOAD]);
    if (!target || target->empty()) return make_error(EINVAL, "hardlink " + std::string(path) + " has no target");
    links.push_back({node, std::string(CFS_TRY(unescape_field(*target, PAYLOAD, false, scratch[PAYLOAD]))), line_no});
    return {};
  }

  uint64_t size = CFS_TRY(parse_decimal(f[SIZE], UINT64_MAX, SIZE));
  node->nlink = static_cast<uint32_t>(CFS_TRY(parse_decimal(f[NLINK], UINT32_MAX, NLINK)));
  node->uid = static_cast<uint32_t>(CFS_TRY(parse_decimal(f[UID], UINT32_MAX, UID)));
  node->gid = static_cast<uint32_t>(CFS_TRY(parse_decimal(f[GID], UINT32_MAX, GID)));
  auto rdev = static_cast<uint32_t>(CFS_TRY(parse_decimal(f[RDEV], UINT32_MAX, RDEV)));
  CFS_CHECK(parse_mtime(f[MTIME], *node));

  std::optional<std::string_view> payload, content;
  if (auto p = optional_field(f[PAYLOAD])) payload = CFS_TRY(unescape_field(*p, PAYLOAD, false, scratch[PAYLOAD]));
  if (auto c = optional_field(f[CONTENT])) content = CFS_TRY(unescape_field(*c, CONTENT, true, scratch[CONTENT]));
  if (content && content->size() != size)
    return field_error(CONTENT, "has " + std::to_string(content->size()) + " bytes but SIZE is " + std::to_string(size));
  if (auto d = optional_field(f[DIGEST])) node->digest = tree.keep(CFS_TRY(parse_digest(*d)));

  if (node->type() == S_IFCHR || node->type() == S_IFBLK)
    node->rdev = rdev;
  else if (options.strict && rdev != 0)
    return field_error(RDEV, "non-zero device number on a non-device");

  if (node->type() == S_IFLNK) {
    CFS_CHECK(parse_symlink(payload, size, content && !content->empty(), *node));
  } else {
    node->size = size;
    if (payload && payload->size() >= fmt::PATH_MAX_LEN) return field_error(PAYLOAD, "longer than 4095 bytes");
    if (content && content->size() > fmt::LCFS_INLINE_CONTENT_MAX)
      return field_error(CONTENT, "inline content of " + std::to_string(content->size()) + " bytes exceeds 5000");
    if (payload) node->payload = tree.keep(*payload);
    if (content) node->content = tree.keep(*content);
  }
  return parse_xattrs(rest, *node);
}

Result<void> DumpParser::State::resolve_links() {
  for (auto& link : links) {
    Node* target = lookup(link.target);
    auto fail = [&](const std::string& what) {
      return make_error(EINVAL, "line " + std::to_string(link.line_no) + ": " + what);
    };
    if (!target) return fail("hardlink target " + link.target + " not found");
    if (target == link.node) return fail("hardlink " + link.target + " points to itself");
    link.node->link_to = target;
  }
  // Collapse chains (a link to a link) so every link_to is a real inode; a chain
  // that comes back on itself has no inode at all.
  for (auto& link : links) {
    std::vector<Node*> chain;
    std::unordered_set<Node*> seen;
    Node* cur = link.node;
    while (cur->link_to) {
      if (!seen.insert(cur).second)
        return make_error(ELOOP, "line " + std::to_string(link.line_no) + ": hardlink cycle through " +
                                     tree::Tree::path_of(*cur));
      chain.push_back(cur);
      cur = cur->link_to;
    }
    for (Node* n : chain) n->link_to = cur;
  }
  return {};
}

DumpParser::DumpParser(ParseOptions options) : state_(std::make_unique<State>()) { state_->options = options; }
DumpParser::~DumpParser() = default;

Result<void> DumpParser::add_line(std::string_view line) {
  ++state_->line_no;
  auto r = state_->parse_line(line);
  if (!r) return make_error(r.error().errnum, "line " + std::to_string(state_->line_no) + ": " + r.error().msg);
  return {};
}

Result<tree::Tree> DumpParser::finish(bool ended_with_newline) {
  if (state_->options.strict && !ended_with_newline)
    return make_error(EINVAL, "line " + std::to_string(state_->line_no) + ": missing newline at end of input");
  if (!state_->tree.root()) return make_error(EINVAL, "no entries in dump file");
  CFS_CHECK(state_->resolve_links());
  state_->children.clear();  // free the index before writing
  state_->tree.sort_children();
  return std::move(state_->tree);
}

Result<tree::Tree> parse_dump(std::string_view text, ParseOptions options) {
  DumpParser parser(options);
  while (!text.empty()) {
    auto nl = text.find('\n');
    CFS_CHECK(parser.add_line(text.substr(0, nl)));
    if (nl == std::string_view::npos) return parser.finish(false);
    text.remove_prefix(nl + 1);
  }
  return parser.finish(true);
}

}  // namespace cfs::dump
