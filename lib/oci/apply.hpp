// Layers applied, entry by entry, into one tree::Tree with the OCI rules (as the
// reference, umoci 0.4.7, applies them to a directory), or one layer turned into
// an overlayfs lower layer. The tree is the one `mkcomposefs DIR` would build from
// the unpacked root filesystem: same node fields, same inline data and digests.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "oci/content.hpp"
#include "oci/layer.hpp"
#include "tree/tree.hpp"

namespace cfs::oci {

struct ApplyOptions {
  /// false: OCI whiteouts delete from lower layers (--from-oci); true: they become
  /// overlayfs whiteouts, 0:0 character devices and trusted.overlay.opaque (--from-tar).
  bool overlay_whiteouts = false;
  bool skip_devices = false;  // as `mkcomposefs --skip-devices` of the unpacked tree
  bool skip_xattrs = false;
  bool user_xattrs = false;
  bool use_epoch = false;
  bool hardlinks = false;     // one inode per hard-linked file, real nlink (--hardlinks)
};

class TreeBuilder {
 public:
  TreeBuilder(tree::Tree& tree, const ApplyOptions& options, ContentWriter& contents);

  /// Starts a layer: whiteouts from now on apply to what is already there.
  void begin_layer();
  /// Applies one entry, reading its data from `layer`. Errors name the entry.
  Result<void> apply(const TarEntry& entry, LayerReader& layer);
  /// The final tree: children sorted, hard links resolved, devices dropped if asked.
  void finish();

 private:
  struct Key {
    const tree::Node* dir;
    std::string_view name;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const {
      return std::hash<std::string_view>()(k.name) ^ (std::hash<const void*>()(k.dir) * 0x9e3779b97f4a7c15ULL);
    }
  };

  tree::Node* lookup(const tree::Node* dir, std::string_view name) const;
  void link_child(tree::Node& dir, tree::Node& child);
  void unlink_child(tree::Node& dir, tree::Node& child);
  std::vector<tree::Node*> live_children(const tree::Node& dir) const;
  Result<tree::Node*> parent_dir(std::string_view path, bool create);
  tree::Node* implicit_dir(tree::Node& parent, std::string_view name);
  void mark_upper(tree::Node* node);
  void remove_lower(tree::Node& dir, tree::Node& node, bool keep_node);
  Result<void> apply_whiteout(const TarEntry& entry, std::string_view name);
  Result<void> overlay_whiteout(const TarEntry& entry, tree::Node& dir, std::string_view name);
  Result<tree::Node*> resolve_hardlink(const TarEntry& entry);
  void set_metadata(tree::Node& node, const TarEntry& entry);
  void set_xattrs(tree::Node& node, const TarEntry& entry);
  Result<void> fill_node(tree::Node& node, const TarEntry& entry, LayerReader& layer);
  void resolve_links(const std::vector<tree::Node*>& order);

  tree::Tree& tree_;
  ApplyOptions options_;
  ContentWriter& contents_;
  std::unordered_map<Key, tree::Node*, KeyHash> children_;  // (directory, name) -> entry
  std::unordered_set<const tree::Node*> upper_;              // touched by the current layer
  std::unordered_set<tree::Node*> opaque_;                   // --from-tar: directories with `.wh..wh..opq`
};

}  // namespace cfs::oci
