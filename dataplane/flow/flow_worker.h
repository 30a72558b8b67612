// FlowWorker: everything one forwarding worker owns for the flow pipeline:
// its exact-match caches, its per-rule counters, its meter states and its
// pipeline statistics. Created by Pipeline::add_worker() on the control
// thread before the worker starts.
//
// Thread-safety: only the owning worker writes (single writer, relaxed
// atomic stores, no read-modify-write); the control thread reads counters to
// sum them, and resets the counters of a rule id only after a grace period
// in which no worker can touch that id.
#pragma once

#include <rte_common.h>
#include <rte_meter.h>
#include <rte_prefetch.h>

#include <atomic>
#include <cstdint>

#include "dataplane/flow/exact_match_cache.h"
#include "dataplane/flow/huge_page_array.h"

namespace sluice {

// 32 bytes, so that a counter never straddles two cache lines (the data
// path prefetches one line per rule it is about to count).
struct alignas(32) RuleCounter {
  std::atomic<uint64_t> packets{0};
  std::atomic<uint64_t> bytes{0};
  std::atomic<uint64_t> last_hit{0};  // TSC of the last packet, 0 = never
};

struct FlowWorkerStats {
  std::atomic<uint64_t> packets{0};
  std::atomic<uint64_t> emc_hits{0};
  std::atomic<uint64_t> emc_misses{0};
  std::atomic<uint64_t> copy_failures{0};  // a copy for a multi-output could not be made
};

// The run of common frames of one signature that the worker's last stage
// ended with, when that run took a one-rule path: the next stage's first
// packets that match the image of its last frame (see CommonFrameImage)
// take the same path without a lookup. Valid only at the pipeline generation it was resolved
// at, as an ExactMatchCache entry is, so its rule is alive whenever it is
// used; 0 closes it.
struct OpenRun {
  CommonFrameImage image;
  SoleRule sole;
  uint64_t generation = 0;
  uint16_t in_port = 0;

  bool continues_at(uint64_t now_generation, uint16_t port) const {
    return generation == now_generation && in_port == port;
  }
};

class alignas(RTE_CACHE_LINE_SIZE) FlowWorker {
 public:
  FlowWorker(unsigned thread_id, uint32_t max_rules, unsigned signature_emc_entries,
             unsigned key_emc_entries)
      : thread_id_(thread_id),
        max_rules_(max_rules),
        counters_(max_rules),
        signature_emc(signature_emc_entries),
        key_emc(key_emc_entries) {}
  FlowWorker(const FlowWorker&) = delete;
  FlowWorker& operator=(const FlowWorker&) = delete;

  // The worker's RCU thread id (Rcu::register_thread / quiescent).
  unsigned thread_id() const { return thread_id_; }

  // Data path (owning worker).
  void count(uint32_t rule_id, uint32_t bytes, uint64_t now) { count(rule_id, 1, bytes, now); }
  void count(uint32_t rule_id, uint32_t packets, uint64_t bytes, uint64_t now) {
    RuleCounter& c = counters_[rule_id];
    c.packets.store(c.packets.load(std::memory_order_relaxed) + packets, std::memory_order_relaxed);
    c.bytes.store(c.bytes.load(std::memory_order_relaxed) + bytes, std::memory_order_relaxed);
    c.last_hit.store(now, std::memory_order_relaxed);
  }
  void prefetch_counter(uint32_t rule_id) const { rte_prefetch0(&counters_[rule_id]); }
  static void bump(std::atomic<uint64_t>& c) { add(c, 1); }
  static void add(std::atomic<uint64_t>& c, uint64_t n) {
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  // Meter state for `m`, (re)configured when the meter's epoch changed.
  rte_meter_srtcm& meter(const MeterRef& m) {
    MeterState& s = meters_[m.slot];
    if (s.epoch != m.epoch) {
      rte_meter_srtcm_config(&s.state, const_cast<rte_meter_srtcm_profile*>(&m.profile));
      s.epoch = m.epoch;
    }
    return s.state;
  }

  // Control thread.
  const RuleCounter& counter(uint32_t rule_id) const { return counters_[rule_id]; }
  void reset_counter(uint32_t rule_id) {
    counters_[rule_id].packets.store(0, std::memory_order_relaxed);
    counters_[rule_id].bytes.store(0, std::memory_order_relaxed);
    counters_[rule_id].last_hit.store(0, std::memory_order_relaxed);
  }
  uint32_t max_rules() const { return max_rules_; }

  FlowWorkerStats stats;
  OpenRun open_run;

 private:
  struct MeterState {
    rte_meter_srtcm state{};
    uint32_t epoch = 0;  // 0: never configured (epochs start at 1)
  };

  unsigned thread_id_;
  uint32_t max_rules_;
  HugePageArray<RuleCounter> counters_;

 public:
  // Common frames are cached by HeaderSignature, the others by FlowKey.
  SignatureCache signature_emc;
  KeyCache key_emc;

 private:
  MeterState meters_[kMaxMeters];
};

}  // namespace sluice
