// How many threads a CPU-bound stage should use.
#pragma once

namespace cfs {

/// The CPUs this process may run on (its affinity mask), at least 1.
unsigned available_cpus();

}  // namespace cfs
