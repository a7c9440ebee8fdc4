#include "oci/import.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <unordered_set>

#include "format/composefs.hpp"
#include "util/file_stat.hpp"
#include "util/io.hpp"

namespace cfs::oci {
namespace {

Result<void> apply_layer(LayerReader& layer, TreeBuilder& builder, const std::string& what) {
  TarEntry entry;
  while (CFS_TRY(layer.next(entry))) {
    auto applied = builder.apply(entry, layer);
    if (!applied) return make_error(applied.error().errnum, what + ": " + applied.error().msg);
  }
  return {};
}

// One layer: blob bytes hashed (descriptor digest), decompressed and hashed
// again (diff_id), entries applied. Both digests are checked once the blob is read.
Result<void> import_one(Layout& layout, const Descriptor& desc, const std::string& diff_id, TreeBuilder& builder,
                        const std::string& what) {
  auto raw = layout.open_blob(desc);
  if (!raw) return make_error(raw.error().errnum, what + ": " + raw.error().msg);
  HashingSource blob(**raw, desc.size, what);
  auto layer = CFS_TRY(LayerReader::open(blob, what));
  builder.begin_layer();
  CFS_CHECK(apply_layer(*layer, builder, what));
  std::string uncompressed = CFS_TRY(layer->finish());
  CFS_CHECK(blob.drain());
  if (blob.bytes() != desc.size) return make_error(EINVAL, what + ": shorter than its descriptor's size");
  std::string got = blob.finish_digest();
  if (got != desc.digest) return make_error(EINVAL, what + ": digest mismatch (the blob's is " + got + ")");
  if (uncompressed != diff_id)
    return make_error(EINVAL, what + ": diff_id mismatch (the config says " + diff_id + ", the layer is " + uncompressed + ")");
  return {};
}

// The objects the image uses: contents added for files that later layers
// deleted or replaced are not published.
void keep_used_objects(const tree::Tree& tree, store::ObjectStore* store) {
  if (!store) return;
  std::unordered_set<std::string> used;
  std::vector<const tree::Node*> stack{tree.root()};
  while (!stack.empty()) {
    const tree::Node* n = stack.back();
    stack.pop_back();
    if (n->type() == S_IFREG && !n->is_hardlink() && n->payload && n->size > format::LCFS_RECOMMENDED_INLINE_CONTENT_MAX)
      used.insert(std::string(*n->payload));
    for (const tree::Node* c : n->children) stack.push_back(c);
  }
  store->drop_pending_except(used);
}

}  // namespace

std::pair<std::string, std::optional<std::string>> split_layout_ref(const std::string& arg) {
  auto exists = [](const std::string& p) { return stat_at(AT_FDCWD, p.c_str(), 0, p).ok(); };
  if (exists(arg)) return {arg, std::nullopt};
  for (size_t colon = arg.find(':'); colon != std::string::npos; colon = arg.find(':', colon + 1)) {
    std::string path = arg.substr(0, colon);
    if (!path.empty() && exists(path)) return {path, arg.substr(colon + 1)};
  }
  return {arg, std::nullopt};
}

Result<tree::Tree> import_image(const std::string& layout_ref, const ImportOptions& options) {
  auto [path, ref] = split_layout_ref(layout_ref);
  Layout layout = CFS_TRY(Layout::open(path));
  Image image = CFS_TRY(resolve_image(layout, ref, options.platform.value_or(host_platform())));
  tree::Tree tree;
  ContentWriter contents(tree, options.store, options.alg);
  TreeBuilder builder(tree, options.apply, contents);
  for (size_t i = 0; i < image.layers.size(); ++i) {
    std::string what = "layer " + std::to_string(i + 1) + " (" + image.layers[i].digest.substr(0, 19) + ")";
    CFS_CHECK(import_one(layout, image.layers[i], image.diff_ids[i], builder, what));
  }
  builder.finish();
  keep_used_objects(tree, options.store);
  return tree;
}

Result<tree::Tree> import_layer_tar(const std::string& path, const ImportOptions& options) {
  UniqueFd fd(path == "-" ? ::fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0) : ::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return errno_error(errno, path);
  FdSource src(std::move(fd), path);
  auto layer = CFS_TRY(LayerReader::open(src, path));
  tree::Tree tree;
  ContentWriter contents(tree, options.store, options.alg);
  ApplyOptions apply = options.apply;
  apply.overlay_whiteouts = true;
  TreeBuilder builder(tree, apply, contents);
  builder.begin_layer();
  CFS_CHECK(apply_layer(*layer, builder, path));
  CFS_CHECK(layer->finish());
  builder.finish();
  return tree;
}

}  // namespace cfs::oci
