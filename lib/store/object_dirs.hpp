// Opening an object named by an image. An image is untrusted until its digest
// is checked, and its payloads (the redirects to the object store) are strings
// from it: a reader must reach only what the kernel's composefs mount reaches.
// overlayfs resolves a redirect inside its data layers only: no "..", no
// symlink on the way, and only a regular file is an object. Every user-space
// reader of objects (composefs-fuse, composefs-info missing-objects and fsck)
// opens them here and nowhere else.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"
#include "util/unique_fd.hpp"

namespace cfs::store {

/// What the caller does with the object.
enum class ObjectAccess {
  read,   // O_RDONLY: its data is read (opened O_NONBLOCK so a FIFO cannot block
          // the open; cleared once the fd is known to be a regular file)
  probe,  // O_PATH: only whether it is there (no read permission needed, as C's
          // missing-objects, which only stats; nothing is opened for reading)
};

/// How the path is resolved beneath the directory.
enum class Resolution {
  automatic,  // openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), or the walk
              // where the kernel has no openat2 (< 5.6, or a seccomp filter)
  walk,       // always the component-by-component O_NOFOLLOW walk (tests)
};

/// Opens the object `payload` names beneath the directory `dir_fd`, as
/// overlayfs follows a redirect in a data layer. Leading '/' are dropped (a
/// redirect is absolute in the layer: "/ab/cd" and "ab/cd" are one object).
/// Only a regular file counts, reached without a symlink and without "..".
/// Errors, like the kernel mount's:
///   EXDEV   a ".." component (the path would leave the directory);
///   EINVAL  a NUL byte in the payload;
///   ELOOP   a symlink on the way (a directory component);
///   ENOENT  nothing there, or not a regular file (a symlink, a FIFO, a device,
///           a directory): the kernel mount cannot use it either;
///   others  as open(2) says (EACCES, ENOTDIR, ...).
Result<UniqueFd> open_object_beneath(int dir_fd, std::string_view payload, ObjectAccess access = ObjectAccess::read,
                                     Resolution resolution = Resolution::automatic);

/// The object directories (basedirs) of a mount, searched in order as overlayfs
/// searches its data-only layers: the first that has the object serves it.
class ObjectDirs {
 public:
  /// Opens every directory (O_PATH); fails naming the first that cannot be.
  static Result<ObjectDirs> open(const std::vector<std::string>& dirs);

  /// The object in the first directory that has it (open_object_beneath); an
  /// error other than ENOENT stops the search. Messages name the payload.
  Result<UniqueFd> open_object(std::string_view payload, ObjectAccess access = ObjectAccess::read,
                               Resolution resolution = Resolution::automatic) const;

 private:
  std::vector<UniqueFd> dirs_;
  std::vector<std::string> names_;
};

}  // namespace cfs::store
