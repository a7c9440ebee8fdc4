// The composefs-store commands; each returns the exit status or dies.
#pragma once

#include "images.hpp"
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

/// Opens STORE (dies when it is not a store) and takes its lock, saying on
/// stderr when it has to wait for builds or a gc.
OpenStore open_store_or_die(const std::string& path, store::StoreLock::Mode mode);

struct StoreAndImages {
  store::Listing listing;
  std::vector<ImageObjects> images;
};

/// Lists the store and reads the images at the same time (two threads: the
/// listing is system calls, the images are CPU); dies on either failure, with
/// `refusal_note` added to an image's message.
StoreAndImages list_and_read_or_die(const OpenStore& store, const Options& o, const std::string& refusal_note);

int run_gc(const Options& o);
int run_fsck(const Options& o);
int run_stat(const Options& o);

}  // namespace cfs::storetool
