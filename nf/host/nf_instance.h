// One NF instance as the host sees it: the NetworkFunction, its class, and
// the counters the host keeps for it per worker (packets in, out per gate,
// drops per named reason, cycles). The flow pipeline's `nf:INSTANCE` action
// hands batches to process().
//
// Thread-safety: process() from forwarding workers (worker w passes
// ctx.worker == w and touches only counters_[w]); everything else from the
// control thread. Destroy only after a grace period since the instance was
// last reachable by a worker.
#pragma once

#include <rte_common.h>
#include <rte_cycles.h>

#include <array>
#include <cassert>
#include <memory>
#include <string>

#include "nf/sdk/network_function.h"
#include "nf/sdk/worker_counter.h"

namespace sluice::nf {

struct alignas(RTE_CACHE_LINE_SIZE) NfWorkerCounters {
  WorkerCounter packets_in, batches, cycles, contract_errors, packets_sent, held;
  std::array<WorkerCounter, kMaxGates> packets_out;
  std::array<WorkerCounter, kMaxDropReasons> drops;
};

// What an instance is made from.
struct NfInstanceSpec {
  std::string name;
  nlohmann::json config;
  unsigned workers = 1;
  int socket_id = -1;           // SOCKET_ID_ANY
  rte_rcu_qsbr* rcu = nullptr;  // NfInit::rcu: the workers' RCU domain, or none
};

class NfInstance {
 public:
  // `library` keeps a plugin's code loaded for as long as the instance, and
  // everything it deferred to `reclaimer`, may run (empty for built-ins).
  // Throws sluice::Error on a bad spec or configuration.
  NfInstance(const NfFactory& factory, const NfInstanceSpec& spec, Reclaimer& reclaimer,
             std::shared_ptr<const void> library = {});
  ~NfInstance();
  NfInstance(const NfInstance&) = delete;
  NfInstance& operator=(const NfInstance&) = delete;

  const std::string& name() const noexcept { return name_; }
  const NfClassInfo& info() const noexcept { return info_; }
  unsigned workers() const noexcept { return workers_; }

  // Data path: clears `out`, runs the NF on the batch, counts. The host then
  // forwards each gate's packets and sends the packets sent to ports.
  void process(const BatchContext& ctx, const PacketBatch& batch, GateOutput& out) noexcept {
    out.clear();
    const uint64_t start = rte_rdtsc();
    nf_->process(ctx, batch, out);
    NfWorkerCounters& c = counters_[ctx.worker];
    c.cycles.add(rte_rdtsc() - start);
    c.batches.add(1);
    c.packets_in.add(batch.count);
    for (unsigned g = 0; g < kMaxGates; ++g)
      if (out.count(g) != 0) c.packets_out[g].add(out.count(g));
    if (out.dropped() != 0) {
      for (unsigned r = 0; r < kMaxDropReasons; ++r)
        if (out.drops(r) != 0) c.drops[r].add(out.drops(r));
    }
    if (out.contract_errors() != 0) c.contract_errors.add(out.contract_errors());
    if (out.sent() != 0) c.packets_sent.add(out.sent());
    if (out.held() != 0) c.held.add(out.held());
    // Equal unless the NF sent or dropped packets it held or made (batch.h).
    assert(out.emitted() + out.sent() + out.dropped() + out.held() >= batch.count &&
           "every packet emitted, sent, held or dropped");
  }

  // Control path.
  void reconfigure(const nlohmann::json& config) { nf_->reconfigure(config); }
  nlohmann::json config() const { return nf_->config(); }
  nlohmann::json connections(uint64_t cursor, unsigned limit) const {
    return nf_->connections(cursor, limit);
  }
  nlohmann::json command(std::string_view name, const nlohmann::json& args) {
    return nf_->command(name, args);
  }
  // {"name", "class", "workers", "packets_in", "packets_out": {gate: n},
  //  "packets_sent" (to ports), "held" (kept by the NF, e.g. waiting for a
  //  neighbour), "drops": {reason: n}, "contract_errors", "cycles_per_packet",
  //  "nf": {...}}
  nlohmann::json stats() const;

 private:
  class PinningReclaimer;

  std::shared_ptr<const void> library_;  // declared first: released last
  std::unique_ptr<PinningReclaimer> reclaimer_;
  const NfClassInfo& info_;
  std::string name_;
  unsigned workers_;
  std::unique_ptr<NfWorkerCounters[]> counters_;
  std::unique_ptr<NetworkFunction> nf_;
};

}  // namespace sluice::nf
