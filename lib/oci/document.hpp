// The JSON documents of an OCI image layout (image-spec v1): index.json and image
// indexes, image manifests and image configs, parsed into plain structs. Only the
// fields composefs needs are kept; the documents are untrusted bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace cfs::oci {

// Media types (image-spec's, and Docker's for layouts converted from registries).
inline constexpr std::string_view kMediaTypeIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kMediaTypeManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kMediaTypeConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kMediaTypeDockerList = "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kMediaTypeDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kMediaTypeDockerConfig = "application/vnd.docker.container.image.v1+json";
// The annotation naming a manifest in index.json (what `oci:DIR:TAG` writes).
inline constexpr std::string_view kRefNameAnnotation = "org.opencontainers.image.ref.name";

/// The largest JSON document we read (containers/image's limit for manifests).
inline constexpr uint64_t kMaxDocumentSize = uint64_t{4} << 20;

/// What a descriptor says of a blob (and, in an index, of the platform it is for).
struct Descriptor {
  std::string media_type;
  std::string digest;      // "sha256:" + 64 lowercase hex digits (checked)
  uint64_t size = 0;
  std::string ref_name;    // annotation org.opencontainers.image.ref.name, if any
  std::string os;          // platform (image indexes only)
  std::string architecture;
  std::string variant;
  /// The 64 hex digits of the digest.
  std::string_view hex() const { return std::string_view(digest).substr(7); }
};

struct Index {
  std::vector<Descriptor> manifests;
};

struct Manifest {
  Descriptor config;
  std::vector<Descriptor> layers;
};

struct ImageConfig {
  std::vector<std::string> diff_ids;  // sha256 of each uncompressed layer, in order
};

/// True for "sha256:" followed by 64 lowercase hex digits, the only digests we follow.
bool is_sha256_digest(std::string_view digest);

/// index.json or an image index. `what` names the document in messages.
Result<Index> parse_index(std::string_view json, const std::string& what);
Result<Manifest> parse_manifest(std::string_view json, const std::string& what);
Result<ImageConfig> parse_config(std::string_view json, const std::string& what);

/// True for media types of image indexes (OCI's and Docker's manifest list).
bool is_index_type(std::string_view media_type);
/// True for the layer media types we read (OCI's tar, +gzip, +zstd, their
/// non-distributable forms, Docker's). The compression is detected from the bytes.
bool is_layer_type(std::string_view media_type);

}  // namespace cfs::oci
