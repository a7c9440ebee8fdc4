// Test helper for check-mount.sh (no setfattr/getfattr needed):
//   tree-manifest manifest DIR         one sorted line per entry: path, type, mode,
//                                      owner, mtime, size, rdev, symlink target,
//                                      content digest, user.* xattrs
//   tree-manifest setxattr PATH NAME VALUE
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "fsverity/fsverity.hpp"
#include "util/hex.hpp"
#include "util/unique_fd.hpp"

namespace {

std::string content_digest(const std::string& path) {
  cfs::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return std::string("open-error:") + std::strerror(errno);
  auto d = cfs::fsverity::digest_of_fd(fd.get());
  return d ? cfs::to_hex(*d) : "read-error:" + d.error().msg;
}

std::string user_xattrs(const std::string& path) {
  std::vector<char> names(65536);
  ssize_t n = ::llistxattr(path.c_str(), names.data(), names.size());
  if (n < 0) return "listxattr-error";
  std::vector<std::string> out;
  for (const char* p = names.data(); p < names.data() + n; p += std::strlen(p) + 1) {
    if (std::strncmp(p, "user.", 5) != 0) continue;
    std::vector<uint8_t> value(65536);
    ssize_t len = ::lgetxattr(path.c_str(), p, value.data(), value.size());
    if (len < 0) return "getxattr-error";
    out.push_back(std::string(p) + "=" + cfs::to_hex({value.data(), static_cast<size_t>(len)}));
  }
  std::sort(out.begin(), out.end());
  std::string joined;
  for (const auto& s : out) joined += " " + s;
  return joined;
}

std::string describe(const std::string& path, const struct stat& st) {
  char buf[256];
  std::snprintf(buf, sizeof buf, " mode=%o uid=%u gid=%u mtime=%lld.%09ld",
                static_cast<unsigned>(st.st_mode), st.st_uid, st.st_gid,
                static_cast<long long>(st.st_mtim.tv_sec), st.st_mtim.tv_nsec);
  std::string line = buf;
  if (S_ISREG(st.st_mode))
    line += " size=" + std::to_string(st.st_size) + " data=" + content_digest(path);
  if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
    line += " rdev=" + std::to_string(major(st.st_rdev)) + ":" + std::to_string(minor(st.st_rdev));
  if (S_ISLNK(st.st_mode)) {
    std::vector<char> target(8192);
    ssize_t n = ::readlink(path.c_str(), target.data(), target.size());
    line += " target=" + (n < 0 ? std::string("?") : std::string(target.data(), static_cast<size_t>(n)));
  }
  return line + user_xattrs(path);
}

void walk(const std::string& root, const std::string& rel, std::vector<std::string>& lines) {
  std::string path = rel.empty() ? root : root + "/" + rel;
  struct stat st;
  if (::lstat(path.c_str(), &st) < 0) {
    lines.push_back((rel.empty() ? "." : rel) + " lstat-error");
    return;
  }
  lines.push_back((rel.empty() ? "." : rel) + describe(path, st));
  if (!S_ISDIR(st.st_mode)) return;
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return;
  while (dirent* e = ::readdir(dir)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") walk(root, rel.empty() ? name : rel + "/" + name, lines);
  }
  ::closedir(dir);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "manifest") == 0) {
    std::vector<std::string> lines;
    walk(argv[2], "", lines);
    std::sort(lines.begin(), lines.end());
    for (const auto& l : lines) std::printf("%s\n", l.c_str());
    return 0;
  }
  if (argc == 5 && std::strcmp(argv[1], "setxattr") == 0) {
    if (::lsetxattr(argv[2], argv[3], argv[4], std::strlen(argv[4]), 0) == 0) return 0;
    std::perror("setxattr");
    return 1;
  }
  std::fprintf(stderr, "usage: tree-manifest manifest DIR | setxattr PATH NAME VALUE\n");
  return 2;
}
