#include "vfs_options.hpp"

#include <dlfcn.h>
#include <libmount/libmount.h>

#include <cerrno>
#include <cstdlib>
#include <string_view>

namespace cfs::mount_helper {
namespace {

// The libmount functions we use, resolved once from libmount.so.1.
struct Libmount {
  decltype(&mnt_split_optstr) split_optstr = nullptr;
  decltype(&mnt_optstr_get_flags) optstr_get_flags = nullptr;
  decltype(&mnt_get_builtin_optmap) get_builtin_optmap = nullptr;
  decltype(&mnt_optstr_next_option) optstr_next_option = nullptr;
};

template <typename F>
bool resolve(void* lib, const char* name, F& out) {
  out = reinterpret_cast<F>(::dlsym(lib, name));
  return out != nullptr;
}

Result<Libmount> load_libmount() {
  // Never closed: the helper is short-lived, and libmount keeps no state we use.
  void* lib = ::dlopen("libmount.so.1", RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    const char* why = ::dlerror();
    std::string msg = "cannot load libmount.so.1 to read the mount options: ";
    msg.append(why ? why : "unknown error");
    return make_error(ENOENT, msg);
  }
  Libmount m;
  if (!resolve(lib, "mnt_split_optstr", m.split_optstr) || !resolve(lib, "mnt_optstr_get_flags", m.optstr_get_flags) ||
      !resolve(lib, "mnt_get_builtin_optmap", m.get_builtin_optmap) ||
      !resolve(lib, "mnt_optstr_next_option", m.optstr_next_option))
    return make_error(ENOENT, "libmount.so.1 lacks the option functions mount.composefs needs");
  return m;
}

// A malloc'ed string from libmount, freed on scope exit.
struct CString {
  char* p = nullptr;
  ~CString() { std::free(p); }
};

// NAME[=VALUE] items of a libmount option string, as written.
std::vector<std::string> items(const Libmount& m, const char* optstr) {
  std::vector<std::string> out;
  if (optstr == nullptr) return out;
  char* cursor = const_cast<char*>(optstr);
  char *name = nullptr, *value = nullptr;
  size_t namesz = 0, valuesz = 0;
  while (m.optstr_next_option(&cursor, &name, &namesz, &value, &valuesz) == 0) {
    std::string item(name, namesz);
    if (value != nullptr) item.append("=").append(value, valuesz);
    out.push_back(std::move(item));
  }
  return out;
}

bool is_security_option(std::string_view item) {
  const std::string_view name = item.substr(0, item.find('='));
  return name == "context" || name == "fscontext" || name == "defcontext" || name == "rootcontext";
}

}  // namespace

Result<VfsOptions> classify_vfs_options(const std::string& optstr) {
  static Result<Libmount> loaded = load_libmount();  // once per process
  if (!loaded) return loaded.error();
  const Libmount& m = *loaded;
  CString user, vfs, fs;
  if (int rc = m.split_optstr(optstr.c_str(), &user.p, &vfs.p, &fs.p, 0, 0); rc != 0)
    return make_error(rc < 0 ? -rc : EINVAL, "Invalid option string '" + optstr + "'");
  VfsOptions out;
  // The whole string, as mount(8) does: "user"/"owner" imply nosuid,nodev(,noexec)
  // unless a later exec/suid/dev says otherwise.
  if (int rc = m.optstr_get_flags(optstr.c_str(), &out.mount_flags, m.get_builtin_optmap(MNT_LINUX_MAP)); rc != 0)
    return make_error(rc < 0 ? -rc : EINVAL, "Invalid option string '" + optstr + "'");
  out.ignored = items(m, user.p);
  for (std::string& item : items(m, fs.p))
    (is_security_option(item) ? out.security : out.unknown).push_back(std::move(item));
  return out;
}

}  // namespace cfs::mount_helper
