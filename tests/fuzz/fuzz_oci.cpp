// Fuzz target: what mkcomposefs --from-oci / --from-tar parse from untrusted bytes.
// The first byte picks the parser: 0 index.json / image index, 1 manifest,
// 2 config, 3 a layer tar (any compression) applied as an OCI image of that layer
// twice (so its whiteouts meet a lower layer), 4 the same with --from-tar's rules.
// Invariants: no crash or sanitizer report; a tree the importer builds is
// one the writer accepts (or refuses with an error), and prints.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "fuzz_common.hpp"
#include "oci/apply.hpp"
#include "oci/content.hpp"
#include "oci/document.hpp"
#include "oci/layer.hpp"

using namespace cfs;

namespace {

class MemorySource : public oci::ByteSource {
 public:
  explicit MemorySource(std::string_view bytes) : bytes_(bytes) {}
  Result<size_t> read(std::span<uint8_t> out) override {
    size_t n = std::min(out.size(), bytes_.size());
    std::memcpy(out.data(), bytes_.data(), n);
    bytes_.remove_prefix(n);
    return n;
  }

 private:
  std::string_view bytes_;
};

Result<void> apply_layer(std::string_view bytes, oci::TreeBuilder& builder) {
  MemorySource src(bytes);
  auto layer = CFS_TRY(oci::LayerReader::open(src, "fuzz"));
  builder.begin_layer();
  oci::TarEntry entry;
  while (CFS_TRY(layer->next(entry))) CFS_CHECK(builder.apply(entry, *layer));
  CFS_CHECK(layer->finish());
  return {};
}

void import_layers(std::string_view bytes, bool overlay) {
  tree::Tree tree;
  oci::ContentWriter contents(tree, nullptr, fsverity::HashAlg::sha256);
  oci::ApplyOptions options;
  options.overlay_whiteouts = overlay;
  options.hardlinks = bytes.size() % 2 == 0;
  oci::TreeBuilder builder(tree, options, contents);
  for (int i = 0; i < (overlay ? 1 : 2); ++i)
    if (!apply_layer(bytes, builder)) return;
  builder.finish();
  erofs::VectorSink sink;
  if (erofs::write_image(tree, {0, 1}, sink)) fuzz::print_all(tree);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 5) {
    case 0: (void)oci::parse_index(rest, "fuzz"); break;
    case 1: (void)oci::parse_manifest(rest, "fuzz"); break;
    case 2: (void)oci::parse_config(rest, "fuzz"); break;
    case 3: import_layers(rest, false); break;
    case 4: import_layers(rest, true); break;
  }
  return 0;
}
