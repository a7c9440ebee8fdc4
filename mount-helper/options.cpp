#include "options.hpp"

#include <sys/mount.h>

#include <cerrno>
#include <string_view>

#include "vfs_options.hpp"

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

bool is_composefs_option(std::string_view key) {
  return takes_value(key) || key == "verity" || key == "tryverity" || key == "ro" || key == "rw" ||
         key == "fuse" || key == "nofuse";
}

Result<void> apply(HelperOptions& h, std::string_view key, const std::optional<std::string>& value) {
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
  }
  return {};
}

// Everything that is not composefs's, through libmount (vfs_options.hpp): VFS
// flags for the final mount, SELinux contexts for the overlay, mount(8)'s own
// options ignored, anything else refused unless sloppy.
Result<void> apply_others(HelperOptions& h, const std::string& others, bool sloppy) {
  VfsOptions v = CFS_TRY(classify_vfs_options(others));
  if (!v.unknown.empty() && !sloppy) return make_error(EINVAL, "Unsupported option " + v.unknown.front());
  // "silent"/"loud" only change how loudly the kernel logs; the rest (bind,
  // remount, move, ...) make no sense for a composefs mount.
  const unsigned long unsupported = v.mount_flags & ~(mount::kSupportedMountFlags | MS_SILENT);
  if (unsupported != 0 && !sloppy)
    return make_error(EINVAL, "Unsupported mount flags in '" + others + "' (composefs takes ro, nosuid, nodev, "
                              "noexec, nosymfollow, the atime options, sync, dirsync, lazytime, mand)");
  h.mount_flags |= v.mount_flags & mount::kSupportedMountFlags;
  h.security_options = std::move(v.security);
  h.ignored = std::move(v.ignored);
  if (sloppy) h.ignored.insert(h.ignored.end(), v.unknown.begin(), v.unknown.end());
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
  std::string others;  // as written, for libmount
  for (const RawOption& o : CFS_TRY(split_options(optstr))) {
    if (!is_composefs_option(o.name)) {
      if (!others.empty()) others += ',';
      others.append(o.name);
      if (o.value) others.append("=").append(*o.value);
      continue;
    }
    std::optional<std::string> v;
    if (o.value) v = unquote(*o.value);
    CFS_CHECK(apply(h, o.name, v));
  }
  // Only now libmount is loaded, and only if there is something for it.
  if (!others.empty()) CFS_CHECK(apply_others(h, others, sloppy));
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
  o.mount_flags = h.mount_flags;
  o.security_options = h.security_options;
  if (h.verity || h.digest) o.verity = mount::Verity::require;  // digest= implies verity
  else if (h.tryverity) o.verity = mount::Verity::try_;
  return o;
}

std::string describe(const HelperOptions& h) {
  static constexpr struct {
    unsigned long ms;
    const char* name;
  } kNames[] = {{MS_RDONLY, "ro"},         {MS_NOSUID, "nosuid"},          {MS_NODEV, "nodev"},
                {MS_NOEXEC, "noexec"},     {MS_NOSYMFOLLOW, "nosymfollow"}, {MS_NOATIME, "noatime"},
                {MS_NODIRATIME, "nodiratime"}, {MS_RELATIME, "relatime"},   {MS_STRICTATIME, "strictatime"},
                {MS_SYNCHRONOUS, "sync"},  {MS_DIRSYNC, "dirsync"},         {MS_LAZYTIME, "lazytime"},
                {MS_MANDLOCK, "mand"}};
  std::string flags;
  const unsigned long all = h.mount_flags | (h.ro ? MS_RDONLY : 0);
  for (const auto& n : kNames)
    if (all & n.ms) flags.append(flags.empty() ? "" : ",").append(n.name);
  std::string out = "basedir=";
  for (size_t i = 0; i < h.basedirs.size(); ++i) out.append(i ? ":" : "").append(h.basedirs[i]);
  if (h.digest) out.append(",digest=").append(*h.digest);
  if (h.verity) out.append(",verity");
  if (h.tryverity) out.append(",tryverity");
  if (!h.upperdir.empty()) out.append(",upperdir=").append(h.upperdir).append(",workdir=").append(h.workdir);
  out.append("; mount flags: ").append(flags.empty() ? "none" : flags);
  for (const auto& sec : h.security_options) out.append("; ").append(sec);
  if (!h.ignored.empty()) {
    out.append("; ignored:");
    for (const auto& i : h.ignored) out.append(" ").append(i);
  }
  return out;
}

}  // namespace cfs::mount_helper
