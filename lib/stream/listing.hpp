// composefs-info ls, dump and objects streamed from an image (lib/stream/walk.hpp),
// byte for byte what the tree printers (lib/dump/print.hpp) print for the tree
// erofs::read_image loads, i.e. what composefs-c 1.0.8 prints.
#pragma once

#include <cstdint>
#include <span>

#include "dump/print.hpp"
#include "stream/object_set.hpp"
#include "stream/walk.hpp"

namespace cfs::stream {

/// composefs-info ls of one image: text handed to `out` in pieces of >= 256 KiB.
Result<void> print_ls(std::span<const uint8_t> image, const WalkOptions& options, const dump::TextSink& out);

/// composefs-info dump of one image.
Result<void> print_dump(std::span<const uint8_t> image, const WalkOptions& options, const dump::TextSink& out);

/// Adds the payload of every regular file of the image (first names only) to `objects`.
Result<void> collect_objects(std::span<const uint8_t> image, const WalkOptions& options, ObjectSet& objects);

/// Drops the pages of a read-only file mapping from the process (madvise
/// MADV_DONTNEED; they fault back in from the page cache) whenever the process
/// took more than a few hundred page faults since the last drop, so the mapped
/// part of a large image stays a few MiB. Use as WalkOptions::on_progress.
class MappingTrimmer {
 public:
  explicit MappingTrimmer(std::span<const uint8_t> mapping);
  void operator()();

 private:
  std::span<const uint8_t> mapping_;
  long faults_at_trim_ = 0;
};

}  // namespace cfs::stream
