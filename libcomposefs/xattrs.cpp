// Extended attributes of a node, with composefs-c 1.0.8's limits and its
// running space estimate (which decides when ERANGE is returned).
#include <cstring>

#include "node.hpp"

using cfs::capi::fail;
using cfs::capi::guarded;

namespace {

constexpr size_t kXattrNameMax = 255;      // XATTR_NAME_MAX

ssize_t find_xattr(const lcfs_node_s* node, const char* name) {
  for (size_t i = 0; i < node->xattrs.size(); i++)
    if (node->xattrs[i].name == name) return static_cast<ssize_t>(i);
  return -1;
}

}  // namespace

namespace cfs::capi {

int set_xattr_limited(lcfs_node_s* node, const char* name, const char* value, size_t value_len,
                      size_t limit) {
  if (!node || !name) return fail(EINVAL);
  size_t name_len = std::strlen(name);
  if (name_len == 0 || name_len > kXattrNameMax) return fail(ERANGE);
  if (value_len > UINT16_MAX || (!value && value_len > 0)) return fail(EINVAL);
  if (lcfs_node_unset_xattr(node, name) < 0 && errno != ENODATA) return -1;

  size_t entry_size = cfs::capi::xattr_space_estimate(name_len, value_len, node->xattrs.empty());
  if (node->xattr_size + entry_size > limit) return fail(ERANGE);
  return guarded<int>(-1, [&] {
    node->xattrs.push_back({std::string(name, name_len), std::string(value ? value : "", value_len)});
    node->xattr_size += entry_size;
    return 0;
  });
}

}  // namespace cfs::capi

extern "C" {

size_t lcfs_node_get_n_xattr(lcfs_node_s* node) { return node ? node->xattrs.size() : 0; }

const char* lcfs_node_get_xattr_name(lcfs_node_s* node, size_t index) {
  return node && index < node->xattrs.size() ? node->xattrs[index].name.c_str() : nullptr;
}

const char* lcfs_node_get_xattr(lcfs_node_s* node, const char* name, size_t* length) {
  if (!node || !name) return nullptr;
  ssize_t i = find_xattr(node, name);
  if (i < 0) return nullptr;
  const std::string& value = node->xattrs[i].value;
  if (length) *length = value.size();
  return value.data();
}

int lcfs_node_set_xattr(lcfs_node_s* node, const char* name, const char* value, size_t value_len) {
  return cfs::capi::set_xattr_limited(node, name, value, value_len, cfs::capi::kExternalXattrBudget);
}

int lcfs_node_unset_xattr(lcfs_node_s* node, const char* name) {
  if (!node || !name) return fail(EINVAL);
  ssize_t i = find_xattr(node, name);
  if (i < 0) return fail(ENODATA);
  size_t freed = cfs::capi::xattr_space_estimate(node->xattrs[i].name.size(), node->xattrs[i].value.size(), false);
  // C moves the last entry into the hole, so the order changes the same way.
  if (static_cast<size_t>(i) != node->xattrs.size() - 1) node->xattrs[i] = std::move(node->xattrs.back());
  node->xattrs.pop_back();
  node->xattr_size = node->xattrs.empty() ? 0 : node->xattr_size - freed;
  return 0;
}

}  // extern "C"
