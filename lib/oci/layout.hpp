// An OCI image layout: a directory (`skopeo copy ... oci:DIR:TAG`, umoci, buildah)
// or the same as one tar file (`podman save --format oci-archive`), and the
// manifest chosen in it.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "oci/document.hpp"
#include "oci/source.hpp"
#include "util/result.hpp"
#include "util/unique_fd.hpp"

namespace cfs::oci {

class Layout {
 public:
  /// Opens a layout directory or an oci-archive tarball and checks its oci-layout file.
  static Result<Layout> open(const std::string& path);

  /// A whole small blob (a manifest, a config), its size and digest checked.
  Result<std::string> read_blob(const Descriptor& d, const std::string& what);
  /// A blob's bytes, unchecked: the caller hashes them as it reads.
  Result<std::unique_ptr<ByteSource>> open_blob(const Descriptor& d);
  /// index.json.
  Result<Index> index();
  const std::string& path() const { return path_; }

 private:
  Layout(std::string path, UniqueFd dir) : path_(std::move(path)), dir_(std::move(dir)) {}
  Result<std::unique_ptr<ByteSource>> open_member(const std::string& name);
  Result<std::string> read_member(const std::string& name, uint64_t max);

  std::string path_;
  UniqueFd dir_;  // the layout directory; invalid for a tarball
};

/// os/architecture[/variant], as in image indexes.
struct Platform {
  std::string os;
  std::string architecture;
  std::string variant;
};
/// "OS/ARCH[/VARIANT]".
Result<Platform> parse_platform(std::string_view text);
/// The platform of this machine (linux and GOARCH's names).
Platform host_platform();

/// What an image is made of: its layers in order and the config's diff_ids.
struct Image {
  std::string manifest_digest;
  std::vector<Descriptor> layers;
  std::vector<std::string> diff_ids;
};

/// The image `ref` names in index.json (org.opencontainers.image.ref.name); with no
/// ref, the only one there. An image index is resolved for `platform`.
Result<Image> resolve_image(Layout& layout, const std::optional<std::string>& ref, const Platform& platform);

}  // namespace cfs::oci
