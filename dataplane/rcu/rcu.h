// Quiescent-state RCU over DPDK's rte_rcu_qsbr, shared by everything that
// publishes data-plane state (port tables, flow tables, NF configs).
//
// Thread-safety: register/unregister/quiescent are called by the forwarding
// worker that owns the thread id; publish-side calls (synchronize, retire,
// reclaim) come from the control thread only.
//
// Contract for readers: a worker reports quiescent() once per poll loop, after
// it has flushed its TX buffers and holds no pointer to published state.
// Contract for writers: publish the new version with a release store, then
// either synchronize() (blocks until every registered worker has passed a
// quiescent state) or retire() the old version for reclaim() to free later.
#pragma once

#include <rte_rcu_qsbr.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>

namespace sluice {

class Rcu {
 public:
  // Room for `max_threads` reader threads, ids 0..max_threads-1.
  explicit Rcu(unsigned max_threads);
  ~Rcu();
  Rcu(const Rcu&) = delete;
  Rcu& operator=(const Rcu&) = delete;

  // Reader side (forwarding workers).
  void register_thread(unsigned thread_id);    // then online
  void unregister_thread(unsigned thread_id);  // offline first
  void quiescent(unsigned thread_id) { rte_rcu_qsbr_quiescent(qsbr_, thread_id); }

  // Writer side (control thread). Blocks until all online readers have
  // reported a quiescent state since the call.
  void synchronize();
  // Frees `old` (by running `free`) once a grace period after now has passed.
  void retire(std::function<void()> free);
  // Runs the frees whose grace period is over; returns how many ran.
  std::size_t reclaim();
  // Waits for a grace period and runs every pending free.
  void drain();

  rte_rcu_qsbr* qsbr() const { return qsbr_; }

 private:
  struct Pending {
    uint64_t token;
    std::function<void()> free;
  };
  rte_rcu_qsbr* qsbr_ = nullptr;
  std::deque<Pending> pending_;
};

}  // namespace sluice
