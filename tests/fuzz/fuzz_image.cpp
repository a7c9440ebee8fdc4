// Fuzz target: arbitrary bytes as a composefs image, through every read path the
// tools use: composefs-info ls/dump/objects/fsck (read_image, then the printers),
// --filter (read_image with two top-level names), and composefs-dump (header
// version, read_image, write_image at that version). Nothing may crash, hang or
// allocate without bound; errors are fine.
//
// Invariant: when the image loads and the writer accepts its tree, the rewrite
// loads too, and repeated rewrites settle after at most two rounds (see the end).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "erofs/reader/reader.hpp"
#include "fuzz_common.hpp"

using namespace cfs;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> image(data, size);
  auto version = erofs::read_image_version(image);
  auto full = erofs::read_image(image);

  // Filter on names the image really has when it loads (so the filtered walk goes
  // somewhere), else on two of the root whiteout names every image carries.
  erofs::ReadOptions filtered;
  if (full && !full->root()->children.empty()) {
    filtered.filter = {full->root()->children.front()->name.str(), full->root()->children.back()->name.str()};
  } else {
    filtered.filter = {"00", "usr"};
  }
  if (auto part = erofs::read_image(image, filtered)) {
    fuzz::print_all(*part);
    if (full) fuzz::check(part->root()->children.size() <= full->root()->children.size(), "filter added entries");
  }
  if (!full) return 0;
  fuzz::check(version.ok(), "read_image accepted an image whose version read_image_version refuses");
  fuzz::print_all(*full);

  // composefs-dump: rewrite at the header's version. The writer may refuse a tree a
  // hand-made image holds (a whiteout in a version 0 image, xattrs that overflow the
  // inode budget once the overlay xattrs are added back). When it accepts, the
  // result must read back, and rewriting must settle: a hand-made image may need two
  // rounds. The first normalises what only a hand-made image holds (a device's
  // size, directory nlink, xattr order); the second drops an xattr the first round
  // moved from the shared table to the end of an inode's inline area when its entry
  // is just the 4-byte header (name "user." or "trusted.", empty value): C's reader,
  // which ours copies, stops before such an entry. From then on read+write is a
  // fixed point.
  auto img2 = fuzz::write_at(*full, *version);
  if (!img2) return 0;
  std::vector<uint8_t> prev = std::move(*img2);
  for (int round = 2; round <= 4; ++round) {
    auto t = erofs::read_image(prev);
    if (!t) fuzz::fail("reader refuses the rewrite of an image it accepted: " + t.error().msg);
    auto next = fuzz::write_at(*t, *version);
    if (!next) fuzz::fail("cannot rewrite the rewrite of an image: " + next.error().msg);
    if (*next == prev) return 0;
    fuzz::check(round < 3, "composefs-dump of composefs-dump's output keeps changing the image");
    prev = std::move(*next);
  }
  return 0;
}
