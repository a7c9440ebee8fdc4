// Fuzz target: arbitrary bytes as the image composefs-fuse serves. fuse::View
// (lib/fuse/view.cpp) interprets the image for the server: it indexes every
// directory, then answers lookups, listings, attributes, symlink targets, file
// data and xattrs. The server runs as the user who mounts an image they may
// have made themselves, so nothing here may crash, hang or allocate without
// bound; a refused image is fine.
//
// Invariants: inode numbers handed out (by entries and lookups) name nodes;
// every listed name is found again by lookup; directories' parents lead to the
// root; the index holds at most one node per 32-byte inode slot; and every
// redirect, opened beneath an empty object directory (openat2 and the walk),
// opens nothing: it is missing, escaping, looping or invalid.
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "fuse/view.hpp"
#include "fuzz_common.hpp"
#include "store/object_dirs.hpp"

using namespace cfs;

namespace {

// An empty directory for the redirects, made once per process.
int empty_object_dir() {
  static const int fd = [] {
    char tmpl[] = "/tmp/cfs-fuzz-objects-XXXXXX";
    if (!::mkdtemp(tmpl)) fuzz::fail("mkdtemp");
    int dir = ::open(tmpl, O_PATH | O_DIRECTORY | O_CLOEXEC);
    ::rmdir(tmpl);  // an fd of a removed directory: nothing can appear in it
    return dir;
  }();
  return fd;
}

void check_redirect(std::string_view redirect) {
  for (auto how : {store::Resolution::automatic, store::Resolution::walk}) {
    auto fd = store::open_object_beneath(empty_object_dir(), redirect, store::ObjectAccess::read, how);
    fuzz::check(!fd.ok(), "a redirect opened something in an empty directory");
    int e = fd.error().errnum;
    fuzz::check(e == ENOENT || e == EXDEV || e == ELOOP || e == EINVAL || e == ENAMETOOLONG,
                "a redirect failed with an unexpected errno");
  }
}

void check_node(const fuse::View& v, uint32_t ino, unsigned& redirects_checked) {
  const fuse::FileNode* n = v.node(ino);
  fuzz::check(n != nullptr, "an inode number handed out has no node");
  (void)v.xattrs(*n);
  switch (n->type()) {
    case S_IFDIR:
      for (const fuse::Entry& e : v.entries(*n)) {
        fuzz::check(v.node(e.ino) != nullptr, "a directory entry names no node");
        fuzz::check(v.lookup(ino, e.name) == e.ino, "lookup does not find a listed name");
      }
      break;
    case S_IFLNK:
      (void)v.symlink_target(*n);
      break;
    case S_IFREG:
      if (n->redirect.empty()) (void)v.stored_data(*n);
      else if (redirects_checked++ < 16) check_redirect(n->redirect);
      break;
    default:
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto view = fuse::View::build(std::span<const uint8_t>(data, size));
  if (!view) return 0;
  const fuse::View& v = *view;
  fuzz::check(v.inode_count() <= size / 32 + 1, "more nodes than the image has inode slots");
  fuzz::check(v.node(fuse::View::kRoot) != nullptr, "no root");
  fuzz::check(v.node(0) == nullptr && v.node(v.inode_count() + 1) == nullptr, "a node outside the numbers");
  (void)v.has_acl();
  unsigned redirects_checked = 0;
  for (uint32_t ino = fuse::View::kRoot; ino <= v.inode_count(); ++ino) {
    check_node(v, ino, redirects_checked);
    // Parents lead to the root within as many steps as there are inodes.
    uint32_t at = ino;
    for (size_t steps = 0; at != fuse::View::kRoot; ++steps) {
      fuzz::check(steps <= v.inode_count(), "a parent chain does not reach the root");
      const fuse::FileNode* n = v.node(at);
      fuzz::check(n != nullptr, "a parent names no node");
      at = n->type() == S_IFDIR ? n->parent : v.node(n->parent) ? n->parent : fuse::View::kRoot;
    }
  }
  (void)v.lookup(fuse::View::kRoot, "..");
  (void)v.lookup(fuse::View::kRoot, "");
  return 0;
}
