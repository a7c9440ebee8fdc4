// JSON through nlohmann::json with exceptions off: a malformed document is a
// "discarded" value, every field's type is checked before it is read.
#include "oci/document.hpp"

#include <nlohmann/json.hpp>

namespace cfs::oci {
namespace {

using Json = nlohmann::json;

Result<Json> parse_json(std::string_view text, const std::string& what) {
  if (text.size() > kMaxDocumentSize) return make_error(EFBIG, what + ": document larger than 4 MiB");
  Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return make_error(EINVAL, what + ": not valid JSON");
  if (!j.is_object()) return make_error(EINVAL, what + ": not a JSON object");
  return j;
}

// The string member `key` of `obj`, or an empty one when absent; any other type fails.
Result<std::string> get_string(const Json& obj, const char* key, const std::string& what) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::string();
  if (!it->is_string()) return make_error(EINVAL, what + ": \"" + key + "\" is not a string");
  return it->get<std::string>();
}

Result<const Json*> get_array(const Json& obj, const char* key, const std::string& what) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_array()) return make_error(EINVAL, what + ": no \"" + key + "\" array");
  return &*it;
}

Result<void> check_schema(const Json& j, const std::string& what) {
  auto it = j.find("schemaVersion");
  if (it == j.end() || !it->is_number_unsigned() || it->get<uint64_t>() != 2)
    return make_error(EINVAL, what + ": schemaVersion is not 2");
  return {};
}

Result<Descriptor> parse_descriptor(const Json& j, const std::string& what) {
  if (!j.is_object()) return make_error(EINVAL, what + ": descriptor is not an object");
  Descriptor d;
  d.media_type = CFS_TRY(get_string(j, "mediaType", what));
  d.digest = CFS_TRY(get_string(j, "digest", what));
  if (!is_sha256_digest(d.digest))
    return make_error(EINVAL, what + ": unsupported or malformed digest \"" + d.digest + "\" (sha256 expected)");
  auto size = j.find("size");
  if (size == j.end() || !size->is_number_unsigned()) return make_error(EINVAL, what + ": descriptor without a valid size");
  d.size = size->get<uint64_t>();
  if (auto ann = j.find("annotations"); ann != j.end() && ann->is_object())
    d.ref_name = CFS_TRY(get_string(*ann, kRefNameAnnotation.data(), what));
  if (auto platform = j.find("platform"); platform != j.end() && platform->is_object()) {
    d.os = CFS_TRY(get_string(*platform, "os", what));
    d.architecture = CFS_TRY(get_string(*platform, "architecture", what));
    d.variant = CFS_TRY(get_string(*platform, "variant", what));
  }
  return d;
}

}  // namespace

bool is_sha256_digest(std::string_view digest) {
  if (digest.size() != 7 + 64 || !digest.starts_with("sha256:")) return false;
  for (char c : digest.substr(7))
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

Result<Index> parse_index(std::string_view json, const std::string& what) {
  Json j = CFS_TRY(parse_json(json, what));
  CFS_CHECK(check_schema(j, what));
  const Json* list = CFS_TRY(get_array(j, "manifests", what));
  Index index;
  for (const Json& m : *list) index.manifests.push_back(CFS_TRY(parse_descriptor(m, what)));
  return index;
}

Result<Manifest> parse_manifest(std::string_view json, const std::string& what) {
  Json j = CFS_TRY(parse_json(json, what));
  CFS_CHECK(check_schema(j, what));
  auto config = j.find("config");
  if (config == j.end()) return make_error(EINVAL, what + ": no \"config\" descriptor");
  Manifest m;
  m.config = CFS_TRY(parse_descriptor(*config, what));
  const Json* layers = CFS_TRY(get_array(j, "layers", what));
  for (const Json& l : *layers) m.layers.push_back(CFS_TRY(parse_descriptor(l, what)));
  return m;
}

Result<ImageConfig> parse_config(std::string_view json, const std::string& what) {
  Json j = CFS_TRY(parse_json(json, what));
  auto rootfs = j.find("rootfs");
  if (rootfs == j.end() || !rootfs->is_object()) return make_error(EINVAL, what + ": no \"rootfs\" object");
  if (CFS_TRY(get_string(*rootfs, "type", what)) != "layers")
    return make_error(EINVAL, what + ": rootfs type is not \"layers\"");
  const Json* ids = CFS_TRY(get_array(*rootfs, "diff_ids", what));
  ImageConfig c;
  for (const Json& id : *ids) {
    if (!id.is_string() || !is_sha256_digest(id.get<std::string>()))
      return make_error(EINVAL, what + ": malformed diff_id (sha256 expected)");
    c.diff_ids.push_back(id.get<std::string>());
  }
  return c;
}

bool is_index_type(std::string_view media_type) {
  return media_type == kMediaTypeIndex || media_type == kMediaTypeDockerList;
}

bool is_layer_type(std::string_view media_type) {
  static constexpr std::string_view kLayerTypes[] = {
      "application/vnd.oci.image.layer.v1.tar",
      "application/vnd.oci.image.layer.v1.tar+gzip",
      "application/vnd.oci.image.layer.v1.tar+zstd",
      "application/vnd.oci.image.layer.nondistributable.v1.tar",
      "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
      "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
      "application/vnd.docker.image.rootfs.diff.tar.gzip",
      "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
  };
  for (auto t : kLayerTypes)
    if (media_type == t) return true;
  return false;
}

}  // namespace cfs::oci
