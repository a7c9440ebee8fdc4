// The overlay on top of the EROFS layer: new mount API with appended layers
// (Linux >= 6.7), else the legacy mount(2) option string.
#include <fcntl.h>
#include <sys/mount.h>

#include <cerrno>

#include "mount/internal.hpp"
#include "util/io.hpp"

namespace cfs::mount::detail {
namespace {

static_assert(kSupportedMountFlags == (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_SYNCHRONOUS | MS_MANDLOCK |
                                       MS_DIRSYNC | MS_NOSYMFOLLOW | MS_NOATIME | MS_NODIRATIME | MS_RELATIME |
                                       MS_STRICTATIME | MS_LAZYTIME),
              "mount.hpp spells the MS_* values out; they must be the kernel's");

// The "source" overlayfs shows in /proc/mounts; it only names who made the mount.
constexpr const char* kSource = "composefs";

bool want_verity(const Options& o) { return o.verity != Verity::none; }

Result<void> set_string(int fs_fd, const char* key, const std::string& value) {
  if (::fsconfig(fs_fd, FSCONFIG_SET_STRING, key, value.c_str(), 0) < 0)
    return fs_error(errno, std::string("overlay option ") + key + "=" + value, fs_fd);
  return {};
}

// Like C: EINVAL on a layer option or on create means this overlayfs lacks
// lowerdir+/datadir+ (< 6.7) or data-only layers; ENOSYS sends the caller to the
// legacy path. The message is kept for the report should that fail too.
Result<void> fallback_on_einval(Result<void> r) {
  if (!r && r.error().errnum == EINVAL) return make_error(ENOSYS, r.error().msg);
  return r;
}

Result<void> set_layers(int fs_fd, const OverlaySpec& spec) {
  const Options& o = spec.options;
  CFS_CHECK(fallback_on_einval(set_string(fs_fd, "lowerdir+", spec.lower)));
  for (const std::string& dir : o.object_dirs)
    CFS_CHECK(fallback_on_einval(set_string(fs_fd, "datadir+", dir)));
  // Unlike lowerdir+/datadir+, overlayfs unescapes upperdir and workdir even here
  // (C passes them raw, so a backslash in them fails there).
  if (!o.upperdir.empty())
    CFS_CHECK(fallback_on_einval(set_string(fs_fd, "upperdir", escape_legacy_path(o.upperdir))));
  if (!o.workdir.empty())
    CFS_CHECK(fallback_on_einval(set_string(fs_fd, "workdir", escape_legacy_path(o.workdir))));
  return {};
}

// The superblock flags among Options::mount_flags, as fsconfig flag names (the
// VFS takes these for every filesystem).
constexpr struct {
  unsigned long ms;
  const char* name;
} kSuperblockFlags[] = {
    {MS_SYNCHRONOUS, "sync"}, {MS_DIRSYNC, "dirsync"}, {MS_LAZYTIME, "lazytime"}, {MS_MANDLOCK, "mand"}};

// "VALUE" -> VALUE: mount(8) quotes values holding commas (SELinux contexts);
// fsconfig takes one value, unquoted.
std::string unquoted(std::string_view v) {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  return std::string(v);
}

// The security options (context=...): the kernel's refusal (no SELinux, a bad
// context) is the error, naming the option, never a reason to try the legacy path.
Result<void> set_security_options(int fs_fd, const Options& o) {
  for (const std::string& opt : o.security_options) {
    const size_t eq = opt.find('=');
    const std::string key = opt.substr(0, eq);
    const std::string value = eq == std::string::npos ? "" : unquoted(std::string_view(opt).substr(eq + 1));
    if (::fsconfig(fs_fd, FSCONFIG_SET_STRING, key.c_str(), value.c_str(), 0) < 0) {
      Error e = fs_error(errno, "overlay option " + opt + " (refused by the kernel; is SELinux enabled?)", fs_fd);
      if (e.errnum == ENOSYS) e.errnum = EINVAL;
      return e;
    }
  }
  for (const auto& f : kSuperblockFlags)
    if ((o.mount_flags & f.ms) && ::fsconfig(fs_fd, FSCONFIG_SET_FLAG, f.name, nullptr, 0) < 0)
      return fs_error(errno, std::string("overlay flag ") + f.name, fs_fd);
  return {};
}

Result<void> configure(int fs_fd, const OverlaySpec& spec) {
  // An overlayfs still on the legacy parser accepts any key here without
  // validating it; only a real new-API overlayfs refuses an unknown one.
  if (::fsconfig(fs_fd, FSCONFIG_SET_STRING, "unsupported", "unsupported", 0) == 0)
    return make_error(ENOSYS, "");
  fs_context_error(fs_fd);  // drop the message about "unsupported"
  CFS_CHECK(set_string(fs_fd, "source", kSource));
  CFS_CHECK(set_string(fs_fd, "metacopy", "on"));
  CFS_CHECK(set_string(fs_fd, "redirect_dir", "on"));
  if (want_verity(spec.options)) {
    auto r = set_string(fs_fd, "verity", "require");
    if (!r && spec.options.verity == Verity::require) return r;
    if (!r) fs_context_error(fs_fd);  // tryverity: the kernel has no verity=; go on
  }
  CFS_CHECK(set_layers(fs_fd, spec));
  CFS_CHECK(set_security_options(fs_fd, spec.options));
  if (::fsconfig(fs_fd, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) < 0)
    return fallback_on_einval(fs_error(errno, "overlay mount", fs_fd));
  return {};
}

}  // namespace

Result<void> mount_overlay_new(const OverlaySpec& spec) {
  UniqueFd fs(::fsopen("overlay", FSOPEN_CLOEXEC));
  if (!fs.valid()) return errno_error(errno, "fsopen overlay");
  CFS_CHECK(configure(fs.get(), spec));
  UniqueFd mnt(::fsmount(fs.get(), FSMOUNT_CLOEXEC, mount_attributes(spec.options)));
  if (!mnt.valid()) return fs_error(errno, "fsmount overlay", fs.get());
  if (::move_mount(mnt.get(), "", AT_FDCWD, spec.target.c_str(), MOVE_MOUNT_F_EMPTY_PATH) < 0)
    return errno_error(errno, "mounting on " + spec.target);
  return {};
}

unsigned mount_attributes(const Options& o) {
  const unsigned long f = o.mount_flags | (o.read_only ? MS_RDONLY : 0);
  unsigned attrs = 0;
  if (f & MS_RDONLY) attrs |= MOUNT_ATTR_RDONLY;
  if (f & MS_NOSUID) attrs |= MOUNT_ATTR_NOSUID;
  if (f & MS_NODEV) attrs |= MOUNT_ATTR_NODEV;
  if (f & MS_NOEXEC) attrs |= MOUNT_ATTR_NOEXEC;
  if (f & MS_NODIRATIME) attrs |= MOUNT_ATTR_NODIRATIME;
  if (f & MS_NOSYMFOLLOW) attrs |= MOUNT_ATTR_NOSYMFOLLOW;
  // One access-time mode; relatime is the kernel's default (MOUNT_ATTR_RELATIME is 0).
  if (f & MS_NOATIME) attrs |= MOUNT_ATTR_NOATIME;
  else if (f & MS_STRICTATIME) attrs |= MOUNT_ATTR_STRICTATIME;
  return attrs;
}

unsigned long legacy_mount_flags(const Options& o) {
  return (o.mount_flags & kSupportedMountFlags) | (o.read_only ? MS_RDONLY : 0);
}

std::string escape_legacy_path(std::string_view path) {
  // C escapes only ','; overlayfs also splits lowerdir at ':' and unescapes '\'
  // in every layer path, so those are escaped too.
  std::string out;
  out.reserve(path.size());
  for (char c : path) {
    if (c == ',' || c == ':' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string legacy_overlay_options(const OverlaySpec& spec, bool data_only_layers) {
  const Options& o = spec.options;
  std::string opts = "metacopy=on,redirect_dir=on,lowerdir=" + escape_legacy_path(spec.lower);
  for (const std::string& dir : o.object_dirs)
    opts += (data_only_layers ? "::" : ":") + escape_legacy_path(dir);
  if (!o.upperdir.empty()) opts += ",upperdir=" + escape_legacy_path(o.upperdir);
  if (!o.workdir.empty()) opts += ",workdir=" + escape_legacy_path(o.workdir);
  // C quirk kept: tryverity is ignored here, as support for verity= cannot be
  // probed through mount(2).
  if (o.verity == Verity::require) opts += ",verity=require";
  for (const std::string& opt : o.security_options) opts += "," + opt;  // quotes kept: the LSM parses them
  return opts;
}

Result<void> mount_overlay_legacy(const OverlaySpec& spec, const Force& force) {
  unsigned long flags = legacy_mount_flags(spec.options);
  if (!force.nodata) {
    // "::" data-only layers (Linux >= 6.5); MS_SILENT as the kernel may refuse them.
    std::string opts = legacy_overlay_options(spec, true);
    if (::mount(kSource, spec.target.c_str(), "overlay", flags | MS_SILENT, opts.c_str()) == 0) return {};
    if (errno != EINVAL) return errno_error(errno, "overlay mount on " + spec.target);
  }
  std::string opts = legacy_overlay_options(spec, false);
  if (::mount(kSource, spec.target.c_str(), "overlay", flags, opts.c_str()) < 0)
    return errno_error(errno, "overlay mount on " + spec.target);
  return {};
}

}  // namespace cfs::mount::detail
