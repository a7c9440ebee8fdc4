#include "options.hpp"

#include <cerrno>
#include <string_view>

namespace cfs::mount_helper {
namespace {

// Like C's unescape_option(): a backslash makes the next character literal.
// (Splitting follows mount(8)'s libmount, which knows "quotes" but not
// backslashes, so a comma inside a value needs quotes here where C took "\,".)
std::string unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) ++i;
    out += s[i];
  }
  return out;
}

std::string unquote(std::string_view s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return unescape(s);
}

// basedir=A:B:C; as C, an empty component (leading, trailing or "::") is an error.
Result<std::vector<std::string>> split_basedirs(const std::string& value) {
  std::vector<std::string> dirs;
  size_t start = 0;
  for (;;) {
    size_t colon = value.find(':', start);
    std::string dir = value.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    if (dir.empty()) return make_error(EINVAL, "Value for basedir option has incorrect format");
    dirs.push_back(std::move(dir));
    if (colon == std::string::npos) return dirs;
    start = colon + 1;
  }
}

std::string* value_slot(HelperOptions& h, std::string_view key) {
  if (key == "upperdir") return &h.upperdir;
  if (key == "workdir") return &h.workdir;
  return nullptr;
}

bool* flag_slot(HelperOptions& h, std::string_view key) {
  if (key == "verity") return &h.verity;
  if (key == "tryverity") return &h.tryverity;
  if (key == "ro") return &h.ro;
  return nullptr;
}

bool takes_value(std::string_view key) {
  return key == "basedir" || key == "digest" || key == "idmap" || key == "upperdir" || key == "workdir";
}

Result<void> apply(HelperOptions& h, std::string_view key, const std::optional<std::string>& value,
                   bool sloppy) {
  if (takes_value(key) && !value)
    return make_error(EINVAL, "No value specified for " + std::string(key) + " option");
  if (key == "basedir") {
    h.basedirs = CFS_TRY(split_basedirs(*value));
  } else if (key == "digest") {
    h.digest = *value;
  } else if (key == "idmap") {
    h.idmap = *value;
  } else if (std::string* slot = value_slot(h, key)) {
    *slot = *value;
  } else if (bool* flag = flag_slot(h, key)) {
    *flag = true;  // as C, a value given to a flag is ignored
  } else if (key == "rw") {
    h.ro = false;
  } else if (key == "fuse" || key == "nofuse") {  // ours: C has no FUSE fallback
    h.fuse = key == "fuse" ? FuseMode::force : FuseMode::never;
  } else if (!sloppy) {
    return make_error(EINVAL, "Unsupported option " + std::string(key));
  }
  return {};
}

}  // namespace

Result<std::vector<RawOption>> split_options(std::string_view s) {
  std::vector<RawOption> out;
  for (size_t i = 0; i < s.size();) {
    const size_t start = i;
    size_t sep = std::string_view::npos;
    bool quoted = false;
    for (; i < s.size(); ++i) {
      if (s[i] == '"') quoted = !quoted;
      if (quoted) continue;
      if (s[i] == '=' && sep == std::string_view::npos) sep = i;
      if (s[i] == ',') break;
    }
    if (quoted || i == start) return make_error(EINVAL, "Invalid option string '" + std::string(s) + "'");
    RawOption o;
    o.name = s.substr(start, (sep == std::string_view::npos ? i : sep) - start);
    if (sep != std::string_view::npos) o.value = s.substr(sep + 1, i - sep - 1);
    out.push_back(o);
    if (i < s.size()) ++i;  // the comma
  }
  return out;
}

Result<HelperOptions> parse_options(const std::string& optstr, bool sloppy) {
  HelperOptions h;
  for (const RawOption& o : CFS_TRY(split_options(optstr))) {
    std::optional<std::string> v;
    if (o.value) v = unquote(*o.value);
    CFS_CHECK(apply(h, o.name, v, sloppy));
  }
  return h;
}

Result<mount::Options> to_mount_options(const HelperOptions& h) {
  if (h.upperdir.empty() != h.workdir.empty())
    return make_error(EINVAL, "Both workdir and upperdir must be specified if used");
  mount::Options o;
  o.object_dirs = h.basedirs;
  o.expected_digest = h.digest;
  o.upperdir = h.upperdir;
  o.workdir = h.workdir;
  o.read_only = h.ro;
  if (h.verity || h.digest) o.verity = mount::Verity::require;  // digest= implies verity
  else if (h.tryverity) o.verity = mount::Verity::try_;
  return o;
}

}  // namespace cfs::mount_helper
