// NF SDK, configuration versions: how an NF changes its configuration while
// workers keep forwarding (read-copy-update, as OVS and DPDK's rte_rcu_qsbr).
//
// The NF builds a new immutable version on the control thread, publishes it
// with Published<T>::publish, and the old version is freed by the host once
// every worker has passed a quiescent state: the host owns the RCU domain
// (rte_rcu_qsbr), the NF only asks for a deferred free through Reclaimer.
//
// Contract for process(): load the current version once per batch
// (Published<T>::get) and use only that pointer for the whole batch; hold no
// pointer to it after process() returns.
#pragma once

#include <atomic>
#include <functional>
#include <memory>

namespace sluice::nf {

// Supplied by the host; outlives every NF instance created with it.
class Reclaimer {
 public:
  // Control thread only. Runs `free` on the control thread once every worker
  // that could hold a pointer published before this call has passed a
  // quiescent state. May run it later than that, never earlier.
  virtual void defer(std::function<void()> free) = 0;

 protected:
  ~Reclaimer() = default;
};

// One published pointer to an immutable T.
// Thread-safety: get() from any worker; publish() from the control thread only.
template <class T>
class Published {
 public:
  explicit Published(std::unique_ptr<const T> first) : current_(first.release()) {}
  // The host destroys an NF only when no worker can reach it any more.
  ~Published() { delete current_.load(std::memory_order_relaxed); }
  Published(const Published&) = delete;
  Published& operator=(const Published&) = delete;

  const T* get() const noexcept { return current_.load(std::memory_order_acquire); }

  // Makes `next` current; the previous version is freed after a grace period.
  void publish(std::unique_ptr<const T> next, Reclaimer& reclaimer) {
    const T* old = current_.exchange(next.release(), std::memory_order_acq_rel);
    reclaimer.defer([old] { delete old; });
  }

 private:
  std::atomic<const T*> current_;
};

}  // namespace sluice::nf
