// nf::Reclaimer over the workers' Rcu: a deferred free is retired to the Rcu
// and runs at one of its reclaim() calls after a grace period.
//
// Thread-safety: as nf::Reclaimer (control thread only).
#pragma once

#include <functional>
#include <utility>

#include "dataplane/rcu/rcu.h"
#include "nf/sdk/reclaimer.h"

namespace sluice {

class RcuReclaimer final : public nf::Reclaimer {
 public:
  explicit RcuReclaimer(Rcu& rcu) : rcu_(rcu) {}
  void defer(std::function<void()> free) override { rcu_.retire(std::move(free)); }

 private:
  Rcu& rcu_;
};

}  // namespace sluice
