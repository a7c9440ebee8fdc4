// A shared count of CPUs that threads may use, so that work which can spread over
// several threads (one big file's Merkle tree) takes only the cores other work
// leaves idle, and a pool that is already busy is never oversubscribed.
#pragma once

#include <condition_variable>
#include <mutex>

namespace cfs {

/// Tokens, one per CPU a pool may keep busy. A pool's worker holds one while it
/// works; whoever wants extra threads borrows the free ones without waiting.
class ThreadBudget {
 public:
  explicit ThreadBudget(unsigned tokens) : free_(tokens) {}
  ThreadBudget(const ThreadBudget&) = delete;
  ThreadBudget& operator=(const ThreadBudget&) = delete;

  /// Takes one token, waiting until one is free.
  void acquire();
  /// Takes up to `most` tokens that are free now; returns how many it took.
  unsigned try_acquire(unsigned most);
  /// Gives back `n` tokens.
  void release(unsigned n);

 private:
  std::mutex mutex_;
  std::condition_variable freed_;
  unsigned free_;
};

/// Tokens held for a scope: what try_acquire() got, or one acquire(); released
/// by the destructor. A null budget leases nothing.
class BudgetLease {
 public:
  /// Waits for one token.
  explicit BudgetLease(ThreadBudget* budget) : budget_(budget) {
    if (budget_) {
      budget_->acquire();
      held_ = 1;
    }
  }
  /// Up to `most` tokens, without waiting.
  BudgetLease(ThreadBudget* budget, unsigned most) : budget_(budget), held_(budget ? budget->try_acquire(most) : 0) {}
  ~BudgetLease() {
    if (budget_ && held_) budget_->release(held_);
  }
  BudgetLease(const BudgetLease&) = delete;
  BudgetLease& operator=(const BudgetLease&) = delete;

  unsigned held() const { return held_; }

 private:
  ThreadBudget* budget_;
  unsigned held_ = 0;
};

}  // namespace cfs
