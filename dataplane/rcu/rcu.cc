#include "dataplane/rcu/rcu.h"

#include <rte_errno.h>
#include <rte_malloc.h>

#include <cstring>

#include "common/error.h"

namespace sluice {

Rcu::Rcu(unsigned max_threads) {
  size_t size = rte_rcu_qsbr_get_memsize(max_threads);
  qsbr_ = static_cast<rte_rcu_qsbr*>(rte_zmalloc("sluice_rcu", size, RTE_CACHE_LINE_SIZE));
  if (qsbr_ == nullptr) throw Error("RCU: cannot allocate quiescent-state memory", ENOMEM);
  if (rte_rcu_qsbr_init(qsbr_, max_threads) != 0) {
    rte_free(qsbr_);
    throw Error(std::string("RCU: init failed: ") + strerror(rte_errno), rte_errno);
  }
}

Rcu::~Rcu() {
  drain();
  rte_free(qsbr_);
}

void Rcu::register_thread(unsigned thread_id) {
  rte_rcu_qsbr_thread_register(qsbr_, thread_id);
  rte_rcu_qsbr_thread_online(qsbr_, thread_id);
}

void Rcu::unregister_thread(unsigned thread_id) {
  rte_rcu_qsbr_thread_offline(qsbr_, thread_id);
  rte_rcu_qsbr_thread_unregister(qsbr_, thread_id);
}

void Rcu::synchronize() { rte_rcu_qsbr_synchronize(qsbr_, RTE_QSBR_THRID_INVALID); }

void Rcu::retire(std::function<void()> free) {
  pending_.push_back({rte_rcu_qsbr_start(qsbr_), std::move(free)});
}

std::size_t Rcu::reclaim() {
  std::size_t freed = 0;
  while (!pending_.empty() && rte_rcu_qsbr_check(qsbr_, pending_.front().token, false) == 1) {
    pending_.front().free();
    pending_.pop_front();
    ++freed;
  }
  return freed;
}

void Rcu::drain() {
  if (pending_.empty()) return;
  synchronize();
  for (auto& p : pending_) p.free();
  pending_.clear();
}

}  // namespace sluice
