// The channel between the forwarding workers and the control thread for
// packets that cross it: packet-in (the controller action punts a packet to
// the control plane) and packet-out (the control plane sends a packet out of
// a port). One pair of single-producer/single-consumer rings per worker, so
// neither side ever waits for the other.
//
// Thread-safety: punt() and take_injected() run on worker `w` only;
// take_packet_ins() and inject() on the control thread only.
#pragma once

#include <rte_common.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "dataplane/worker/port_view.h"

namespace sluice {

struct PacketIn {
  uint16_t in_port;  // port number
  uint8_t table;
  uint64_t cookie;
  unsigned worker;
  std::vector<uint8_t> bytes;
};

class ControllerChannel {
 public:
  static constexpr unsigned kRingSize = 1024;

  // `rate_pps`: packet-ins per second each worker may punt; more are refused.
  // Throws sluice::Error (ENOMEM) when rings cannot be created.
  ControllerChannel(unsigned workers, uint32_t rate_pps);
  ~ControllerChannel();  // frees packets still queued
  ControllerChannel(const ControllerChannel&) = delete;
  ControllerChannel& operator=(const ControllerChannel&) = delete;

  // Worker: queues `m` for the control thread. False (the caller drops the
  // packet and counts it) when over the rate or the ring is full.
  bool punt(unsigned worker, rte_mbuf* m, uint16_t in_port, uint8_t table, uint64_t cookie,
            uint64_t tsc) noexcept;
  // Worker: packets the control thread asked it to send; m->port holds the
  // DPDK port id.
  unsigned take_injected(unsigned worker, rte_mbuf** pkts, unsigned max) noexcept {
    return rte_ring_sc_dequeue_burst(lanes_[worker]->inject, reinterpret_cast<void**>(pkts), max,
                                     nullptr);
  }

  // Control: up to `max` queued packet-ins, oldest first per worker.
  std::vector<PacketIn> take_packet_ins(std::size_t max);
  // Control: hands `m` to worker 0 to send out of DPDK port `port_id`.
  // Throws sluice::Error (EAGAIN) if its ring is full; `m` is freed then.
  void inject(rte_mbuf* m, uint16_t port_id);

 private:
  struct alignas(RTE_CACHE_LINE_SIZE) Lane {
    rte_ring* punt = nullptr;
    rte_ring* inject = nullptr;
    double tokens = 0;  // rate limiter, worker-owned
    uint64_t last_tsc = 0;
  };
  std::vector<std::unique_ptr<Lane>> lanes_;
  uint32_t rate_pps_;
  double tsc_hz_;
  int meta_offset_ = -1;  // mbuf dynamic field holding the packet-in metadata
};

}  // namespace sluice
