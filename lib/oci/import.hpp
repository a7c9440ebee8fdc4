// The importer's entry points: an OCI image (all layers applied) or one layer tar
// straight to a tree::Tree, file contents into the object store on the way.
#pragma once

#include <optional>
#include <string>

#include "fsverity/fsverity.hpp"
#include "oci/apply.hpp"
#include "oci/layout.hpp"
#include "store/object_store.hpp"
#include "tree/tree.hpp"

namespace cfs::oci {

struct ImportOptions {
  ApplyOptions apply;
  fsverity::HashAlg alg = fsverity::HashAlg::sha256;
  store::ObjectStore* store = nullptr;  // objects are added, not published
  std::optional<Platform> platform;     // for image indexes; default: this machine's
};

/// "LAYOUT[:REF]": the layout path and the image name, if any. A path that exists
/// as given has no REF; otherwise it is cut at the first ':' after which the
/// rest of the string is a path that exists.
std::pair<std::string, std::optional<std::string>> split_layout_ref(const std::string& arg);

/// Every layer of the image, checked against its descriptor and diff_id.
Result<tree::Tree> import_image(const std::string& layout_ref, const ImportOptions& options);

/// One layer tar (any compression), "-" for stdin, OCI whiteouts as overlayfs ones.
Result<tree::Tree> import_layer_tar(const std::string& path, const ImportOptions& options);

}  // namespace cfs::oci
