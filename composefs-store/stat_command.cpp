// composefs-store stat: what the store holds, and per image what it alone holds
// (the bytes gc would free if only that image were dropped).
#include <unordered_map>

#include "commands.hpp"
#include "images.hpp"
#include "output.hpp"

namespace cfs::storetool {
namespace {

struct ImageStat {
  uint64_t objects = 0, bytes = 0;          // referenced objects present in the store
  uint64_t own_objects = 0, own_bytes = 0;  // of those, used by no other named image
  uint64_t missing = 0;                     // referenced but absent
};

struct Present {
  uint64_t size = 0;
  unsigned users = 0;  // named images that refer to it
};

}  // namespace

int run_stat(const Options& o) {
  OpenStore store = open_store_or_die(o.store, store::StoreLock::Mode::shared);  // a consistent view against gc
  auto [listing, images] = list_and_read_or_die(store, o, "");
  std::unordered_map<std::string, Present> present;
  uint64_t total_bytes = 0;
  for (const auto& e : listing.objects) present.emplace(e.path, Present{e.size, 0}), total_bytes += e.size;
  for (const auto& image : images)
    for (const auto& obj : image.objects)
      if (auto it = present.find(obj); it != present.end()) ++it->second.users;
  std::vector<ImageStat> stats;
  for (const auto& image : images) {
    ImageStat s;
    for (const auto& obj : image.objects) {
      auto it = present.find(obj);
      if (it == present.end()) {
        ++s.missing;
        continue;
      }
      ++s.objects, s.bytes += it->second.size;
      if (it->second.users == 1) ++s.own_objects, s.own_bytes += it->second.size;
    }
    stats.push_back(s);
  }
  std::string out;
  if (o.json) {
    out = "{\"store\": " + json_count(listing.objects.size(), total_bytes) + ", \"images\": [";
    for (size_t i = 0; i < stats.size(); ++i) {
      const ImageStat& s = stats[i];
      out += std::string(i ? ", " : "") + "{\"path\": " + json_string(images[i].path) +
             ", \"referenced\": " + json_count(s.objects, s.bytes) + ", \"only_this_image\": " +
             json_count(s.own_objects, s.own_bytes) + ", \"missing_objects\": " + std::to_string(s.missing) + "}";
    }
    write_stdout(out + "]}\n");
    return 0;
  }
  out = o.store + ": " + count_text(listing.objects.size(), total_bytes) + "\n";
  for (size_t i = 0; i < stats.size(); ++i) {
    const ImageStat& s = stats[i];
    out += images[i].path + ": uses " + count_text(s.objects, s.bytes) + "; only this image: " +
           count_text(s.own_objects, s.own_bytes);
    if (s.missing) out += "; " + std::to_string(s.missing) + " objects missing";
    out += "\n";
  }
  write_stdout(out);
  return 0;
}

}  // namespace cfs::storetool
