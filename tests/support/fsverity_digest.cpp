// Test helper: prints "DIGEST PATH" with the computed fs-verity digest of each file.
#include <cstdio>
#include <fcntl.h>
#include <unistd.h>

#include "fsverity/fsverity.hpp"
#include "util/hex.hpp"
#include "util/unique_fd.hpp"

int main(int argc, char** argv) {
  int status = 0;
  for (int i = 1; i < argc; ++i) {
    cfs::UniqueFd fd(::open(argv[i], O_RDONLY | O_CLOEXEC));
    auto d = fd.valid() ? cfs::fsverity::digest_of_fd(fd.get()) : cfs::Result<cfs::fsverity::Digest>(cfs::make_error(errno, "open"));
    if (!d) {
      std::fprintf(stderr, "fsverity_digest: %s: %s\n", argv[i], d.error().msg.c_str());
      status = 1;
      continue;
    }
    std::printf("%s %s\n", cfs::to_hex(*d).c_str(), argv[i]);
  }
  return status;
}
