// resolve_image: index.json -> (image index ->) manifest -> config.
#include <algorithm>

#include "oci/layout.hpp"

namespace cfs::oci {
namespace {

std::string describe(const Platform& p) {
  return p.os + "/" + p.architecture + (p.variant.empty() ? "" : "/" + p.variant);
}

Result<Descriptor> pick_by_ref(const Layout& layout, const Index& index, const std::optional<std::string>& ref) {
  if (!ref) {
    if (index.manifests.size() == 1) return index.manifests[0];
    std::string names;
    for (const auto& m : index.manifests) names += (names.empty() ? "" : ", ") + (m.ref_name.empty() ? m.digest : m.ref_name);
    return make_error(EINVAL, layout.path() + ": " + std::to_string(index.manifests.size()) +
                                  " images in index.json, name one as LAYOUT:REF (" + names + ")");
  }
  for (const auto& m : index.manifests)
    if (m.ref_name == *ref) return m;
  return make_error(ENOENT, layout.path() + ": no image named \"" + *ref + "\" in index.json");
}

// An image index's manifest for `platform` (a variant asked for must match; none
// asked for takes the first of the os/architecture).
Result<Descriptor> pick_by_platform(const Index& index, const Platform& platform, const std::string& what) {
  for (const auto& m : index.manifests)
    if (m.os == platform.os && m.architecture == platform.architecture &&
        (platform.variant.empty() || m.variant == platform.variant) && !is_index_type(m.media_type))
      return m;
  return make_error(ENOENT, what + ": no image for platform " + describe(platform) + " (use --platform=OS/ARCH)");
}

}  // namespace

Result<Image> resolve_image(Layout& layout, const std::optional<std::string>& ref, const Platform& platform) {
  const Index top = CFS_TRY(layout.index());
  Descriptor chosen = CFS_TRY(pick_by_ref(layout, top, ref));
  // Image indexes may nest; a few levels are plenty.
  for (int depth = 0; is_index_type(chosen.media_type); ++depth) {
    if (depth == 4) return make_error(EINVAL, layout.path() + ": image indexes nested too deep");
    std::string what = layout.path() + ": image index " + chosen.digest;
    const std::string text = CFS_TRY(layout.read_blob(chosen, "image index"));
    const Index nested = CFS_TRY(parse_index(text, what));
    chosen = CFS_TRY(pick_by_platform(nested, platform, what));
  }
  if (chosen.media_type != kMediaTypeManifest && chosen.media_type != kMediaTypeDockerManifest && !chosen.media_type.empty())
    return make_error(EINVAL, layout.path() + ": " + chosen.digest + ": not an image manifest (" + chosen.media_type + ")");
  std::string what = layout.path() + ": manifest " + chosen.digest;
  const std::string manifest_text = CFS_TRY(layout.read_blob(chosen, "manifest"));
  Manifest manifest = CFS_TRY(parse_manifest(manifest_text, what));
  if (manifest.config.media_type != kMediaTypeConfig && manifest.config.media_type != kMediaTypeDockerConfig)
    return make_error(EINVAL, what + ": config is not an image config (" + manifest.config.media_type + ")");
  const std::string config_text = CFS_TRY(layout.read_blob(manifest.config, "config"));
  ImageConfig config = CFS_TRY(parse_config(config_text, layout.path() + ": config " + manifest.config.digest));
  if (config.diff_ids.size() != manifest.layers.size())
    return make_error(EINVAL, what + ": " + std::to_string(manifest.layers.size()) + " layers but " +
                                  std::to_string(config.diff_ids.size()) + " diff_ids in the config");
  for (const auto& l : manifest.layers)
    if (!is_layer_type(l.media_type))
      return make_error(EINVAL, what + ": layer " + l.digest + ": unsupported media type \"" + l.media_type + "\"");
  return Image{chosen.digest, std::move(manifest.layers), std::move(config.diff_ids)};
}

}  // namespace cfs::oci
