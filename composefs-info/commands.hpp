// The composefs-info commands. Each returns the exit status or dies.
#pragma once

#include <string>

#include "fsverity/fsverity.hpp"
#include "options.hpp"
#include "tree/tree.hpp"
#include "util/result.hpp"

namespace cfs::info {

/// Loads one image (C: lcfs_load_node_from_fd_ext); dies with one message on failure.
tree::Tree load_image_or_die(const std::string& path, const std::vector<std::string>& filter);

/// The fs-verity digest of an open file: the kernel's measurement when verity is
/// enabled, else computed from the contents (C: lcfs_fd_get_fsverity).
Result<fsverity::Digest> file_digest(int fd, fsverity::HashAlg alg);

int run_ls_or_dump(const Options& o);
int run_objects(const Options& o, int basedir_fd);
int run_measure_file(const Options& o, const char* argv0);
int run_fsck(const Options& o, int basedir_fd);

/// Writes text to stdout; dies on a write error.
void write_stdout(std::string_view text);

}  // namespace cfs::info
