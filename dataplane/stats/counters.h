// Per-worker counters: each is written by exactly one forwarding worker and
// read by the control thread, which sums them over workers. A write is a plain
// relaxed load+store (no locked instruction); a read may be one update behind.
#pragma once

#include <rte_common.h>

#include <array>
#include <atomic>
#include <cstdint>

#include "dataplane/stats/drop_reason.h"

namespace sluice {

class Counter {
 public:
  void add(uint64_t n) noexcept {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  uint64_t read() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// One port as seen by one worker. Counters only grow: a port's figures are
// the difference to the values recorded when the port was added.
struct alignas(RTE_CACHE_LINE_SIZE) PortCounters {
  Counter rx_packets, rx_bytes, tx_packets, tx_bytes;
  std::array<Counter, kDropReasons> drops;

  void drop(DropReason reason, uint64_t n = 1) noexcept {
    drops[static_cast<unsigned>(reason)].add(n);
  }
};

// Loop accounting of one worker: a poll that received packets is busy.
struct alignas(RTE_CACHE_LINE_SIZE) WorkerCounters {
  Counter packets, bursts, busy_cycles, idle_cycles;
};

// Plain-value sums, as reported.
struct PortTotals {
  uint64_t rx_packets = 0, rx_bytes = 0, tx_packets = 0, tx_bytes = 0;
  std::array<uint64_t, kDropReasons> drops{};

  void add(const PortCounters& c) {
    rx_packets += c.rx_packets.read();
    rx_bytes += c.rx_bytes.read();
    tx_packets += c.tx_packets.read();
    tx_bytes += c.tx_bytes.read();
    for (unsigned i = 0; i < kDropReasons; ++i) drops[i] += c.drops[i].read();
  }
  PortTotals operator-(const PortTotals& base) const {
    PortTotals d = *this;
    d.rx_packets -= base.rx_packets;
    d.rx_bytes -= base.rx_bytes;
    d.tx_packets -= base.tx_packets;
    d.tx_bytes -= base.tx_bytes;
    for (unsigned i = 0; i < kDropReasons; ++i) d.drops[i] -= base.drops[i];
    return d;
  }
  uint64_t dropped() const {
    uint64_t n = 0;
    for (auto d : drops) n += d;
    return n;
  }
};

}  // namespace sluice
