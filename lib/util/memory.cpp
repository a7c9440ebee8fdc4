#include "util/memory.hpp"

#include <cstdint>
#include <cstdlib>
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

namespace cfs {

void prefer_huge_pages() {
  constexpr uintptr_t kHuge = 2 << 20;
  constexpr int kPad = 64 << 20;
  // Grow the heap in 64 MiB steps (address space only: pages are touched on use),
  // then mark the part already reserved as huge-page friendly.
  if (mallopt(M_TOP_PAD, kPad) == 0) return;
  void* probe = std::malloc(96 << 10);  // more than the initial heap has left: it must grow
  if (!probe) return;
  auto start = (reinterpret_cast<uintptr_t>(probe) + kHuge - 1) & ~(kHuge - 1);
  auto end = reinterpret_cast<uintptr_t>(sbrk(0)) & ~(kHuge - 1);
  if (end > start) madvise(reinterpret_cast<void*>(start), end - start, MADV_HUGEPAGE);
  std::free(probe);
}

void release_free_memory() { malloc_trim(0); }

}  // namespace cfs
