// The composefs-store commands; each returns the exit status or dies.
#pragma once

#include "options.hpp"
#include "store/layout.hpp"
#include "store/lock.hpp"
#include "util/unique_fd.hpp"

namespace cfs::storetool {

/// An open store and, when asked for, its lock.
struct OpenStore {
  UniqueFd fd;
  store::StoreLock lock;
};

/// Opens STORE (dies when it is not a store) and, unless `mode` is null, takes
/// its lock, saying on stderr when it has to wait for builds or another gc.
OpenStore open_store_or_die(const std::string& path, const store::StoreLock::Mode* mode);

/// Lists the store; dies on error.
store::Listing list_store_or_die(const OpenStore& store, const std::string& path);

int run_gc(const Options& o);
int run_fsck(const Options& o);
int run_stat(const Options& o);

}  // namespace cfs::storetool
