#include "util/thread_budget.hpp"

#include <algorithm>

namespace cfs {

void ThreadBudget::acquire() {
  std::unique_lock lock(mutex_);
  freed_.wait(lock, [&] { return free_ > 0; });
  --free_;
}

unsigned ThreadBudget::try_acquire(unsigned most) {
  std::lock_guard lock(mutex_);
  unsigned took = std::min(most, free_);
  free_ -= took;
  return took;
}

void ThreadBudget::release(unsigned n) {
  {
    std::lock_guard lock(mutex_);
    free_ += n;
  }
  freed_.notify_all();
}

}  // namespace cfs
