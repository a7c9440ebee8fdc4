// fs-verity file digests: computed in user space (streaming Merkle tree) and
// measured/enabled through the kernel's FS_IOC_{MEASURE,ENABLE}_VERITY ioctls.
//
// Only the parameters composefs uses are supported: SHA-256 (composefs-c's) or
// SHA-512, 4096-byte data and tree blocks, no salt. The digest is the one
// FS_IOC_MEASURE_VERITY reports.
#pragma once

#include <array>
#include <cerrno>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "format/digest.hpp"
#include "util/result.hpp"
#include "util/thread_budget.hpp"

namespace cfs::fsverity {

using format::Digest;
using format::HashAlg;

/// Streaming fs-verity (SHA-256 or SHA-512, 4096-byte blocks, no salt) digest, as
/// the kernel's FS_IOC_MEASURE_VERITY reports it.
///
/// Memory use is one pending 4096-byte block per Merkle tree level, so it grows
/// with log(size), not size. Feed any piece sizes to update(); full blocks are
/// hashed straight from the caller's buffer. Hashing never allocates except when
/// the tree gains a level. OpenSSL failures (which can only be allocation
/// failures in the constructor) abort, since there is no error to return.
/// A moved-from Hasher may only be destroyed or assigned to.
class Hasher {
 public:
  explicit Hasher(HashAlg alg = HashAlg::sha256);
  ~Hasher();
  Hasher(Hasher&&) noexcept;
  Hasher& operator=(Hasher&&) noexcept;
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;

  /// Appends `data` to the file contents being measured.
  void update(std::span<const uint8_t> data);

  /// Appends `bytes` zero bytes (a hole). Whole blocks of zeros are not hashed:
  /// every all-zero subtree has a constant hash, so any size costs O(log size).
  void update_zeros(uint64_t bytes);

  /// Returns the digest of everything passed to update() since construction or
  /// the previous finish(), then resets to the empty state (buffers are kept).
  Digest finish();

  /// Bytes passed to update() since construction or the previous finish().
  uint64_t size() const;
  HashAlg alg() const;

  // One file's tree split over threads: the file is cut at multiples of
  // subtree_size(alg, L), each piece hashed by its own Hasher up to level L
  // (finish_subtree), and the pieces' hashes appended in order to one Hasher
  // (append_subtree), which then finish()es the file as if it had read it all.

  /// Bytes of data under one block of tree level `level` + 1: 4096 times
  /// (4096 / hash size) to the power `level` (level 1: 512 KiB with SHA-256,
  /// 256 KiB with SHA-512).
  static uint64_t subtree_size(HashAlg alg, unsigned level);

  /// For 1 to subtree_size(alg(), level) bytes passed since the last reset: the
  /// hash they contribute at `level` (their blocks and tree blocks zero-padded, as
  /// the last piece of a file is), then resets like finish().
  Digest finish_subtree(unsigned level);

  /// Appends a piece hashed elsewhere: `root` from finish_subtree(level), standing
  /// for `bytes` bytes (subtree_size(alg(), level), except for the file's last
  /// piece). size() must be a multiple of subtree_size(alg(), level).
  void append_subtree(const Digest& root, unsigned level, uint64_t bytes);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// fs-verity digest of an in-memory file content.
Digest digest_of(std::span<const uint8_t> data, HashAlg alg = HashAlg::sha256);

/// Largest content digest_pair_small() takes: one data block.
inline constexpr size_t kSmallFileMax = 4096;

/// fs-verity SHA-256 digests of two contents of 1 to kSmallFileMax bytes each,
/// their blocks hashed together where the CPU allows (see Hasher): a directory
/// tree is mostly such files.
void digest_pair_small(std::span<const uint8_t> a, std::span<const uint8_t> b, Digest& digest_a, Digest& digest_b);

/// fs-verity digest of what `fd` reads from its current position to end of file.
cfs::Result<Digest> digest_of_fd(int fd, HashAlg alg = HashAlg::sha256);

/// The same through the caller's hasher and read buffer, so that hashing many
/// files in a row allocates nothing per file. `hasher` must be fresh or finished.
cfs::Result<Digest> digest_of_fd(int fd, Hasher& hasher, std::span<uint8_t> buffer);

/// Files at least this big are hashed on several threads by digest_of_file();
/// smaller ones would spend more on starting threads than they save.
inline constexpr uint64_t kParallelMinSize = uint64_t{4} << 20;

/// How digest_of_file() may spread one file over threads.
struct FileDigestOptions {
  unsigned threads = 1;                      // threads at most, the caller's included
  ThreadBudget* budget = nullptr;            // if set, extra threads only for its free tokens
  std::atomic<uint64_t>* progress = nullptr;  // if set, bytes hashed (holes too) are added
};

/// fs-verity digest of the first `size` bytes of the regular file `fd`, read with
/// pread (the file offset is left anywhere). Holes (SEEK_DATA / SEEK_HOLE) are not
/// read but hashed as zeros in O(log size); filesystems without SEEK_DATA are
/// read whole. Files of kParallelMinSize bytes or more are cut into pieces at
/// subtree boundaries, hashed on up to `options.threads` threads, memory bounded
/// (a few hundred KiB of piece hashes at a time). A file shorter than `size`
/// fails with EIO.
cfs::Result<Digest> digest_of_file(int fd, uint64_t size, HashAlg alg, const FileDigestOptions& options = {});

/// The fs-verity digest of an open file: the kernel's measurement when verity is
/// enabled, else computed from its contents from offset 0 (C: lcfs_fd_get_fsverity),
/// through digest_of_file() on all CPUs for a regular file. Whatever keeps the
/// kernel from measuring (no verity, not supported, ENOSYS under emulation, a
/// third hash) means computing, never a failure or a mismatch.
cfs::Result<Digest> file_digest(int fd, HashAlg alg = HashAlg::sha256);

/// True for the errnos with which an fs-verity ioctl says "not available here"
/// (for every file alike): ENOTTY or EOPNOTSUPP from a filesystem without
/// fs-verity, ENOSYS from an emulator that does not forward the ioctl (qemu-user).
inline bool verity_unsupported(int errnum) { return errnum == ENOTTY || errnum == EOPNOTSUPP || errnum == ENOSYS; }

/// The same for FS_IOC_ENABLE_VERITY, where EINVAL also means the filesystem
/// cannot do our parameters (4096-byte blocks on 64 KiB pages before Linux 6.3).
inline bool enable_unsupported(int errnum) { return verity_unsupported(errnum) || errnum == EINVAL; }

/// The kernel's measurement of a verity-enabled file (FS_IOC_MEASURE_VERITY).
/// Fails with errnum ENODATA when verity is not enabled on the file,
/// verity_unsupported() ones when not available here, EINVAL when the file's
/// digest is neither SHA-256 nor SHA-512.
cfs::Result<Digest> measure_fd(int fd);

/// Enables fs-verity (`alg`, 4096-byte blocks, no salt) on `fd`, which must be
/// open read-only with no writers (FS_IOC_ENABLE_VERITY). The kernel's errno is
/// passed through, e.g. EEXIST when already enabled, ETXTBSY when open for write,
/// enable_unsupported() ones when not available here.
cfs::Result<void> enable_fd(int fd, HashAlg alg = HashAlg::sha256);

}  // namespace cfs::fsverity
