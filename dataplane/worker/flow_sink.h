// The forwarding worker's side of the flow pipeline's Sink contract (see
// dataplane/flow/flow_actions.h): where a packet goes when an action sends,
// floods, switches (normal), punts or drops it. Port numbers from rules are
// mapped to DPDK port ids through the worker's current PortView. nf:N stages
// the packet in the worker's NfStage (dataplane/nf/nf_stage.h), which runs
// after the burst and calls back reply() and the other methods.
//
// Thread-safety: lives on the worker's stack for one burst of one RX queue.
#pragma once

#include <rte_mbuf.h>

#include <cstdint>

#include "dataplane/l2/l2_forward.h"
#include "dataplane/worker/worker.h"

namespace sluice {

class FlowSink {
 public:
  FlowSink(Worker& worker, uint16_t in_port_id, uint16_t in_port_number, uint64_t tsc,
           uint32_t now_s)
      : worker_(worker),
        in_port_id_(in_port_id),
        in_port_number_(in_port_number),
        now_s_(now_s),
        tsc_(tsc) {}

  void output(uint16_t port_number, rte_mbuf* m) noexcept {
    const uint16_t id = worker_.view_->id_of(port_number);
    if (id == PortView::kNone) {
      worker_.drop(in_port_id_, m, DropReason::port_down);
    } else if (id == in_port_id_) {
      worker_.drop(in_port_id_, m, DropReason::same_port);  // OpenFlow: only in_port may
    } else {
      worker_.output(id, m);
    }
  }
  void output_run(uint16_t port_number, rte_mbuf** pkts, uint16_t n, uint64_t bytes) noexcept {
    const uint16_t id = worker_.view_->id_of(port_number);
    if (id != PortView::kNone && id != in_port_id_) return worker_.output_run(id, pkts, n, bytes);
    for (uint16_t i = 0; i < n; ++i) output(port_number, pkts[i]);
  }
  void flood(rte_mbuf* m) noexcept { worker_.flood(in_port_id_, m); }
  void normal(rte_mbuf* m) noexcept {
    l2_forward(m, in_port_id_, *worker_.context_.macs, now_s_, worker_);
  }
  // Packet-in: to the control thread, rate-limited; refused ones are counted.
  void controller(rte_mbuf* m, uint8_t table, uint64_t cookie) noexcept {
    if (!worker_.context_.channel->punt(worker_.index_, m, in_port_number_, table, cookie, tsc_)) {
      worker_.drop(in_port_id_, m, DropReason::controller);
    }
  }
  void nf(uint32_t instance, rte_mbuf* m, const NfContinuation& next) noexcept {
    if (!worker_.nf_stage_.stage(instance, m, next))
      worker_.drop(in_port_id_, m, DropReason::nf_unavailable);
  }
  // An NF's answer (gate kReply): out of the input port.
  void reply(rte_mbuf* m) noexcept { worker_.output(in_port_id_, m); }
  // A packet an NF sent out of a port it chose (GateOutput::send): unlike
  // output(), the input port is allowed (a router answers ARP there).
  void send(uint16_t port_number, rte_mbuf* m) noexcept {
    const uint16_t id = worker_.view_->id_of(port_number);
    if (id == PortView::kNone) return worker_.drop(in_port_id_, m, DropReason::port_down);
    worker_.output(id, m);
  }
  void drop(rte_mbuf* m, DropReason reason) noexcept { worker_.drop(in_port_id_, m, reason); }
  rte_mbuf* copy(const rte_mbuf* m) noexcept {
    return rte_pktmbuf_copy(m, worker_.context_.pool, 0, UINT32_MAX);
  }

 private:
  Worker& worker_;
  const uint16_t in_port_id_;
  const uint16_t in_port_number_;
  const uint32_t now_s_;
  const uint64_t tsc_;
};

}  // namespace sluice
