// File contents from a layer, read once: the fs-verity digest computed while the
// bytes pass, the first 64 bytes kept inline for small files (as the scan does),
// and, with a store, the bytes written into a new store object that is named by
// the digest at the end. Memory holds at most one buffer of small-file data.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fsverity/fsverity.hpp"
#include "oci/layer.hpp"
#include "store/object_store.hpp"
#include "tree/tree.hpp"

namespace cfs::oci {

class ContentWriter {
 public:
  ContentWriter(tree::Tree& tree, store::ObjectStore* store, fsverity::HashAlg alg)
      : tree_(tree), store_(store), hasher_(alg) {}

  /// Reads the current entry's data (node.size bytes) into `node`: digest,
  /// payload "xx/..." and inline content, as lib/scan fills a file's node.
  Result<void> read_file(LayerReader& layer, tree::Node& node, const std::string& shown);

 private:
  Result<void> store_buffer(const fsverity::Digest& digest, const std::string& shown);

  tree::Tree& tree_;
  store::ObjectStore* store_;
  fsverity::Hasher hasher_;
  std::vector<uint8_t> buffer_;  // a small file's data, until its digest says whether to store it
};

}  // namespace cfs::oci
