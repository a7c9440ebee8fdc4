// composefs-store fsck: every object of the store (lib/store/fsck.cpp), and with
// images, the objects they refer to that the store lacks.
#include <unordered_map>

#include "commands.hpp"
#include "images.hpp"
#include "output.hpp"
#include "store/fsck.hpp"

namespace cfs::storetool {
namespace {

// Objects the images name that are not in the listing (or are moved away by repair).
void add_missing(const std::vector<ImageObjects>& images, const store::Listing& listing,
                 const store::FsckReport& report, std::vector<store::Problem>& out) {
  std::unordered_map<std::string, bool> present;  // path -> still there after repair
  for (const auto& e : listing.objects) present.emplace(e.path, true);
  for (const auto& p : report.problems)
    if (!p.repair.empty() && p.repair.starts_with("moved")) present[p.path] = false;
  for (const auto& image : images)
    for (const auto& obj : image.objects) {
      auto it = present.find(obj);
      if (it == present.end()) out.push_back({image.path, "object " + obj + " is missing from the store", ""});
      else if (!it->second) out.push_back({image.path, "object " + obj + " was bad and is now missing from the store", ""});
    }
}

std::string text_line(const Options& o, const store::Problem& p, bool store_relative) {
  std::string line = (store_relative ? o.store + "/" + p.path : p.path) + ": " + p.what;
  if (!p.repair.empty()) line += " (" + p.repair + ")";
  return line + "\n";
}

std::string json_problem(const Options& o, const store::Problem& p, bool store_relative) {
  std::string out = "{\"path\": " + json_string(store_relative ? o.store + "/" + p.path : p.path) +
                    ", \"problem\": " + json_string(p.what);
  if (!p.repair.empty()) out += ", \"repair\": " + json_string(p.repair);
  return out + "}";
}

void print(const Options& o, const store::FsckReport& r, const std::vector<store::Problem>& missing) {
  std::string out;
  if (o.json) {
    out = "{\"objects\": " + std::to_string(r.objects) + ", \"bytes\": " + std::to_string(r.bytes) +
          ", \"verity_enabled\": " + std::to_string(r.verity_enabled) + ", \"problems\": [";
    bool first = true;
    for (const auto& p : r.problems) out += (std::exchange(first, false) ? "" : ", ") + json_problem(o, p, true);
    for (const auto& p : missing) out += (std::exchange(first, false) ? "" : ", ") + json_problem(o, p, false);
    write_stdout(out + "]}\n");
    return;
  }
  for (const auto& p : r.problems) out += text_line(o, p, true);
  for (const auto& p : missing) out += text_line(o, p, false);
  size_t n = r.problems.size() + missing.size();
  out += "fsck: " + count_text(r.objects, r.bytes) + " checked; " + std::to_string(n) + " problems";
  if (o.repair) out += "; fs-verity enabled on " + std::to_string(r.verity_enabled) + " objects";
  write_stdout(out + "\n");
}

}  // namespace

int run_fsck(const Options& o) {
  // Shared keeps a gc from removing objects while they are checked; --repair
  // moves files, so no build may be between lookup and image meanwhile.
  OpenStore store = open_store_or_die(o.store, o.repair ? store::StoreLock::Mode::exclusive : store::StoreLock::Mode::shared);
  auto [listing, images] = list_and_read_or_die(store, o, "");
  auto report = store::check_store(store.fd.get(), o.store, listing, {o.repair, 0});
  if (!report) die(report.error().msg);
  std::vector<store::Problem> missing;
  add_missing(images, listing, *report, missing);
  print(o, *report, missing);
  return report->problems.empty() && missing.empty() ? 0 : 1;
}

}  // namespace cfs::storetool
