// Process-wide memory tuning for the tools.
#pragma once

namespace cfs {

/// Asks the kernel for transparent huge pages on the malloc heap (where THP is in
/// "madvise" mode, as on Debian). The tools build tens of MiB of small objects; with
/// 4 KiB pages a third of mkcomposefs --from-file's run time went to page faults.
/// Call once, first thing in main(). Harmless where THP is unavailable.
void prefer_huge_pages();

/// Hands the malloc heap's free pages back to the kernel (after a large structure
/// was freed, so the peak RSS does not carry it into the next phase).
void release_free_memory();

}  // namespace cfs
