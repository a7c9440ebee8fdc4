// compare_stream [--filter=NAME]... [--budget=BYTES] IMAGE...: for each image, the streamed ls,
// dump and objects listings must equal the tree-based ones (or both must refuse
// the image with the same error). Prints one line per image; exits 1 on a mismatch.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "stream_compare.hpp"

int main(int argc, char** argv) {
  std::vector<std::string> filter;
  uint64_t budget = 0;
  int failures = 0;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.starts_with("--filter=")) {
      filter.push_back(arg.substr(9));
      continue;
    }
    if (arg.starts_with("--budget=")) {
      budget = std::stoull(arg.substr(9));
      continue;
    }
    std::ifstream in(arg, std::ios::binary);
    std::vector<uint8_t> image((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::string diff = cfs::stream_test::compare(image, filter, budget);
    std::printf("%s - %s%s%s\n", diff.empty() ? "ok" : "FAIL", arg.c_str(), diff.empty() ? "" : ": ", diff.c_str());
    failures += !diff.empty();
  }
  return failures ? 1 : 0;
}
