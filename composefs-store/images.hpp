// The objects composefs images refer to, as store paths "xx/rest": what
// `composefs-info objects` lists, read through the hardened image reader.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "util/result.hpp"

namespace cfs::storetool {

struct ImageObjects {
  std::string path;               // the image file
  std::set<std::string> objects;  // object paths relative to the store, no leading '/'
};

/// Reads every image; the first that is missing, unreadable or not a composefs
/// image fails the whole call with a message naming it.
Result<std::vector<ImageObjects>> read_image_objects(const std::vector<std::string>& paths);

}  // namespace cfs::storetool
