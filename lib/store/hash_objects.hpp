// The fs-verity digests of many store objects, on all cores: small files two at
// a time through fsverity::digest_pair_small, larger ones through one reused
// Hasher and read buffer per thread; the kernel's measurement where fs-verity
// is enabled on the object.
#pragma once

#include <string>
#include <vector>

#include "fsverity/fsverity.hpp"
#include "store/layout.hpp"

namespace cfs::store {

struct ObjectHash {
  enum class Verity { unknown, enabled, missing, unsupported };
  std::string error;  // not a regular file, or could not be read; digest unset
  fsverity::Digest digest{};
  bool matches_name = false;  // digest is the one the object's path names
  Verity verity = Verity::unknown;
};

/// One result per object, in the same order. `threads` 0: the CPUs available.
std::vector<ObjectHash> hash_objects(int store_fd, const std::vector<Entry>& objects, unsigned threads);

}  // namespace cfs::store
