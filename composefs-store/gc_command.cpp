// composefs-store gc: under the exclusive store lock, read the images to keep,
// then remove what none of them uses (lib/store/gc.cpp).

#include "commands.hpp"
#include "images.hpp"
#include "output.hpp"
#include "store/gc.hpp"

namespace cfs::storetool {
namespace {

void print_text(const store::GcReport& r, const Options& o) {
  std::string out;
  for (const std::string& p : r.removed_paths) (out += p) += '\n';
  const char* verb = o.dry_run ? "would remove" : "removed";
  out += std::string("gc: ") + verb + " " + count_text(r.removed.objects, r.removed.bytes) + "; kept " +
         count_text(r.kept.objects, r.kept.bytes);
  if (r.kept_recent.objects) out += ", of which " + std::to_string(r.kept_recent.objects) + " unreferenced but recent";
  out += "; " + std::string(verb) + " " + std::to_string(r.temporaries_removed) + " temporary files";
  if (!o.dry_run) out += " and " + std::to_string(r.directories_removed) + " empty directories";
  write_stdout(out + "\n");
}

void print_json(const store::GcReport& r, const Options& o) {
  std::string out = "{\"dry_run\": " + std::string(o.dry_run ? "true" : "false") +
                    ", \"removed\": " + json_count(r.removed.objects, r.removed.bytes) +
                    ", \"kept\": " + json_count(r.kept.objects, r.kept.bytes) +
                    ", \"kept_recent\": " + json_count(r.kept_recent.objects, r.kept_recent.bytes) +
                    ", \"temporary_files_removed\": " + std::to_string(r.temporaries_removed) +
                    ", \"directories_removed\": " + std::to_string(r.directories_removed);
  if (o.dry_run) {
    out += ", \"would_remove\": [";
    for (size_t i = 0; i < r.removed_paths.size(); ++i) out += (i ? ", " : "") + json_string(r.removed_paths[i]);
    out += "]";
  }
  write_stdout(out + "}\n");
}

}  // namespace

int run_gc(const Options& o) {
  OpenStore store = open_store_or_die(o.store, store::StoreLock::Mode::exclusive);
  // Only now, with no build between its first object lookup and its image:
  // an image a build has just written is complete, and its objects are kept.
  auto [listing, images] = list_and_read_or_die(store, o, " (nothing removed)");
  std::set<std::string> referenced;
  for (auto& image : images) referenced.merge(image.objects);  // moves the nodes, no copies
  store::GcOptions gc{o.dry_run, o.grace_seconds, 0};
  auto report = store::collect_garbage(store.fd.get(), o.store, listing, referenced, gc);
  if (!report) die(report.error().msg);
  if (o.json) print_json(*report, o);
  else print_text(*report, o);
  return 0;
}

}  // namespace cfs::storetool
