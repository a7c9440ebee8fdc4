// Node data: inode fields, payload, inline content, fs-verity digest.
// Getters tolerate NULL (returning 0 / NULL); setters ignore it.
#include <climits>
#include <cstring>

#include "node.hpp"

using cfs::capi::fail;
using cfs::capi::guarded;

extern "C" {

bool lcfs_node_dirp(lcfs_node_s* node) { return node && node->is_dir(); }

uint32_t lcfs_node_get_mode(lcfs_node_s* node) { return node ? node->mode : 0; }

// Stores any value, as C does; an invalid type is refused when writing.
void lcfs_node_set_mode(lcfs_node_s* node, uint32_t mode) {
  if (node) node->mode = mode;
}

int lcfs_node_try_set_mode(lcfs_node_s* node, uint32_t mode) {
  if (!node || !cfs::tree::is_valid_file_type(mode)) return fail(EINVAL);
  node->mode = mode;
  return 0;
}

uint32_t lcfs_node_get_uid(lcfs_node_s* node) { return node ? node->uid : 0; }
void lcfs_node_set_uid(lcfs_node_s* node, uint32_t uid) {
  if (node) node->uid = uid;
}
uint32_t lcfs_node_get_gid(lcfs_node_s* node) { return node ? node->gid : 0; }
void lcfs_node_set_gid(lcfs_node_s* node, uint32_t gid) {
  if (node) node->gid = gid;
}

uint64_t lcfs_node_get_rdev64(lcfs_node_s* node) { return node ? node->rdev : 0; }
uint32_t lcfs_node_get_rdev(lcfs_node_s* node) { return node ? node->rdev : 0; }
// C stores rdev in 32 bits, so the 64-bit setter truncates too.
void lcfs_node_set_rdev64(lcfs_node_s* node, uint64_t rdev) {
  if (node) node->rdev = static_cast<uint32_t>(rdev);
}
void lcfs_node_set_rdev(lcfs_node_s* node, uint32_t rdev) {
  if (node) node->rdev = rdev;
}

uint32_t lcfs_node_get_nlink(lcfs_node_s* node) { return node ? node->nlink : 0; }
void lcfs_node_set_nlink(lcfs_node_s* node, uint32_t nlink) {
  if (node) node->nlink = nlink;
}

uint64_t lcfs_node_get_size(lcfs_node_s* node) { return node ? node->size : 0; }

// A new size drops the inline content (it no longer describes the file).
void lcfs_node_set_size(lcfs_node_s* node, uint64_t size) {
  if (!node || size == node->size) return;
  std::string().swap(node->content);
  node->size = size;
}

void lcfs_node_set_mtime(lcfs_node_s* node, struct timespec* time) {
  if (!node || !time) return;
  node->mtime_sec = time->tv_sec;
  node->mtime_nsec = static_cast<uint32_t>(time->tv_nsec);
}

// struct timespec keeps the platform's time_t (the ABI composefs-c has there): on
// i386 and armhf, C truncates an mtime beyond 32 bits to its low bits, as we do.
void lcfs_node_get_mtime(lcfs_node_s* node, struct timespec* time) {
  if (!node || !time) return;
  time->tv_sec = static_cast<time_t>(node->mtime_sec);
  time->tv_nsec = node->mtime_nsec;
}

int lcfs_node_set_payload(lcfs_node_s* node, const char* payload) {
  if (!node) return fail(EINVAL);
  if (!payload) {
    node->payload.reset();
    return 0;
  }
  size_t len = std::strlen(payload);
  if (len >= PATH_MAX) return fail(ENAMETOOLONG);
  return guarded<int>(-1, [&] {
    node->payload.emplace(payload, len);
    return 0;
  });
}

// C asserts the node is a symlink; we fail with EINVAL instead of aborting.
int lcfs_node_set_symlink_payload(lcfs_node_s* node, const char* payload) {
  if (!node || (node->mode & S_IFMT) != S_IFLNK || !payload || !*payload) return fail(EINVAL);
  if (lcfs_node_set_payload(node, payload) < 0) return -1;
  node->size = node->payload->size();  // a symlink's size is its target's length
  return 0;
}

const char* lcfs_node_get_payload(lcfs_node_s* node) {
  return node && node->payload ? node->payload->c_str() : nullptr;
}

int lcfs_node_set_content(lcfs_node_s* node, const uint8_t* data, size_t data_size) {
  if (!node) return fail(EINVAL);
  if (data && data_size > LCFS_INLINE_CONTENT_MAX) return fail(EINVAL);
  return guarded<int>(-1, [&] {
    if (data && data_size != 0)
      node->content.assign(reinterpret_cast<const char*>(data), data_size);
    else
      std::string().swap(node->content);
    node->size = data_size;  // even without data, as in C
    return 0;
  });
}

const uint8_t* lcfs_node_get_content(lcfs_node_s* node) {
  if (!node || node->content.empty()) return nullptr;
  return reinterpret_cast<const uint8_t*>(node->content.data());
}

const uint8_t* lcfs_node_get_fsverity_digest(lcfs_node_s* node) {
  // The C API knows only SHA-256 digests; a SHA-512 one (from an image that names
  // SHA-512 objects) is kept and written back, but not shown as 32 bytes here.
  if (!node || !node->digest || node->digest->alg() != cfs::format::HashAlg::sha256) return nullptr;
  return node->digest->data();
}

void lcfs_node_set_fsverity_digest(lcfs_node_s* node, uint8_t digest[LCFS_DIGEST_SIZE]) {
  if (!node || !digest) return;
  cfs::tree::Digest d;
  std::memcpy(d.data(), digest, d.size());
  node->digest = d;
}

}  // extern "C"
