// The set of ports as the forwarding workers see it: an immutable snapshot,
// published by the control thread with a release store and replaced (never
// modified) when a port is added or removed. The old snapshot is freed after
// an RCU grace period, so a worker may use the one it loaded until its next
// quiescent state.
#pragma once

#include <rte_ethdev.h>

#include <array>
#include <cstdint>
#include <vector>

namespace sluice {

inline constexpr unsigned kMaxWorkers = 64;

struct PortView {
  struct RxQueue {
    uint16_t port_id;
    uint16_t queue;
  };
  static constexpr uint16_t kNone = 0xffff;

  std::vector<uint16_t> port_ids;  // every forwarding port, in port-number order
  // Indexed by DPDK port id: TX queue count, 0 if the id is not a port here.
  std::array<uint16_t, RTE_MAX_ETHPORTS> tx_queues{};
  // Indexed by DPDK port id: user-visible port number.
  std::array<uint16_t, RTE_MAX_ETHPORTS> number{};
  // Indexed by port number (1..kMaxPortNumber): DPDK port id, or kNone.
  static constexpr uint16_t kMaxPortNumber = RTE_MAX_ETHPORTS;
  std::array<uint16_t, kMaxPortNumber + 1> id_of_number;

  PortView() { id_of_number.fill(kNone); }
  // Per worker: the RX queues it polls.
  std::vector<std::vector<RxQueue>> rx;

  bool has(uint16_t port_id) const { return port_id < RTE_MAX_ETHPORTS && tx_queues[port_id]; }
  uint16_t id_of(uint16_t port_number) const {
    return port_number <= kMaxPortNumber ? id_of_number[port_number] : kNone;
  }
};

}  // namespace sluice
