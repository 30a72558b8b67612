// A forwarding worker: one per EAL worker lcore, run-to-completion.
//
// Each loop: load the published PortView and flow pipeline version, receive
// a burst of up to 32 from each RX queue it owns, run every packet through the
// flow pipeline (it ends sent, buffered for TX, or dropped with a reason),
// run the network functions the burst's rules named (nf_stage.h), flush the
// TX buffers, report an RCU quiescent state. Nothing in the loop allocates,
// locks (except a TX queue shared with another worker, see tx_buffer.h),
// throws or logs.
//
// Thread-safety: run() executes on the worker's lcore; counters() may be read
// from the control thread at any time; everything else is the worker's own.
#pragma once

#include <rte_spinlock.h>

#include <array>
#include <atomic>
#include <cstdint>

#include "dataplane/flow/flow_worker.h"
#include "dataplane/flow/pipeline.h"
#include "dataplane/l2/mac_table.h"
#include "dataplane/nf/nf_set.h"
#include "dataplane/nf/nf_stage.h"
#include "dataplane/rcu/rcu.h"
#include "dataplane/stats/counters.h"
#include "dataplane/worker/controller_channel.h"
#include "dataplane/worker/port_view.h"
#include "dataplane/worker/tx_buffer.h"

namespace sluice {

// What all workers share; owned by the Datapath.
struct ForwardingContext {
  std::atomic<const PortView*> ports{nullptr};
  std::atomic<bool> running{false};
  MacTable* macs = nullptr;
  Pipeline* pipeline = nullptr;
  std::atomic<const NfSet*> nfs{nullptr};  // published by NfManager
  rte_mempool* pool = nullptr;             // for copies to several destinations
  ControllerChannel* channel = nullptr;
  Rcu* rcu = nullptr;
  unsigned workers = 0;
  // TX locks, used only for queues shared by several workers.
  std::array<std::array<rte_spinlock_t, kMaxWorkers>, RTE_MAX_ETHPORTS> tx_locks{};
};

class alignas(RTE_CACHE_LINE_SIZE) Worker {
 public:
  // `flows` is this worker's pipeline context (Pipeline::add_worker(index)).
  Worker(unsigned index, unsigned lcore, ForwardingContext& context, FlowWorker& flows);

  // The poll loop; returns when context.running turns false.
  int run();

  unsigned index() const { return index_; }
  unsigned lcore() const { return lcore_; }
  const PortCounters& port_counters(uint16_t port_id) const { return ports_[port_id]; }
  const WorkerCounters& loop_counters() const { return loop_; }

  // Output stage used by l2_forward and the pipeline (ports by DPDK id).
  void output(uint16_t port_id, rte_mbuf* m) noexcept { output_run(port_id, &m, 1, m->pkt_len); }
  // output() of each of `n` packets, in order; `bytes` is their pkt_len
  // summed. A whole burst for a port with nothing buffered goes straight to
  // the driver, which may rewrite `pkts`.
  void output_run(uint16_t port_id, rte_mbuf** pkts, uint16_t n, uint64_t bytes) noexcept;
  void flood(uint16_t in_port_id, rte_mbuf* m) noexcept;
  void drop(uint16_t port_id, rte_mbuf* m, DropReason reason) noexcept;

 private:
  friend class FlowSink;
  void poll(const PortView& view, const PipelineVersion& flows, uint64_t tsc,
            uint32_t now_s) noexcept;
  void send_injected() noexcept;
  void tx_send_port(const PortView& view, uint16_t port_id, rte_mbuf** pkts, uint16_t n,
                    uint64_t bytes) noexcept;
  void tx_flush_port(const PortView& view, uint16_t port_id) noexcept;
  void flush(const PortView& view) noexcept;

  const unsigned index_;
  const unsigned lcore_;
  ForwardingContext& context_;
  FlowWorker& flows_;
  const PortView* view_ = nullptr;  // valid between load and quiescent
  const NfSet* nfs_ = nullptr;      // same
  NfStage nf_stage_;
  std::array<PortCounters, RTE_MAX_ETHPORTS> ports_;
  WorkerCounters loop_;
  std::array<TxBuffer, RTE_MAX_ETHPORTS> tx_;
  std::array<uint16_t, RTE_MAX_ETHPORTS> dirty_;  // port ids with buffered packets
  uint16_t dirty_count_ = 0;
};

}  // namespace sluice
