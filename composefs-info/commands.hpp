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

int run_ls_or_dump(const Options& o);
int run_objects(const Options& o, int basedir_fd);
int run_measure_file(const Options& o, const char* argv0);
int run_fsck(const Options& o, int basedir_fd);

/// Writes text to stdout; dies on a write error.
void write_stdout(std::string_view text);

}  // namespace cfs::info
