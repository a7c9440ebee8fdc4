// Fuzz target: arbitrary bytes as a composefs image through the streaming
// listings of composefs-info (lib/stream), which must agree with the tree-based
// ones: the same error for an image read_image refuses, else the same ls, dump
// and objects bytes; with no filter and with a two-name top-level filter.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "../stream/stream_compare.hpp"
#include "fuzz_common.hpp"

using namespace cfs;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> image(data, size);
  std::string diff = stream_test::compare(image, {});
  if (!diff.empty()) fuzz::fail("streamed listing differs from the tree's: " + diff);
  // Filter on names the image really has when it loads, else on a root whiteout
  // name every image carries and a common one.
  std::vector<std::string> filter = {"00", "usr"};
  if (auto full = erofs::read_image(image); full && !full->root()->children.empty())
    filter = {full->root()->children.front()->name.str(), full->root()->children.back()->name.str()};
  diff = stream_test::compare(image, filter);
  if (!diff.empty()) fuzz::fail("streamed filtered listing differs from the tree's: " + diff);
  return 0;
}
