// Per-worker, per-port TX buffering: packets collect until a burst is full
// or the poll loop ends, then go out in one rte_eth_tx_burst (a whole burst
// for a port with nothing buffered skips the buffer: Worker::output_run).
// Whatever the queue does not take is freed at once and counted as tx_full.
//
// Owned by one worker; TX queues shared by several workers (a device with
// fewer queues than workers) are serialised by the caller-supplied lock.
#pragma once

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_spinlock.h>

#include <cstdint>

#include "dataplane/stats/counters.h"

namespace sluice {

inline constexpr uint16_t kBurst = 32;

struct TxBuffer {
  uint16_t count = 0;
  uint64_t bytes = 0;  // pkt_len of pkts[0, count) summed
  rte_mbuf* pkts[kBurst];
};

// Sends `n` packets (`bytes`: their pkt_len summed) on (port_id, queue);
// counts into `counters`. The array is the driver's to rewrite (TX
// callbacks may).
inline void tx_send(rte_mbuf** pkts, uint16_t n, uint64_t bytes, uint16_t port_id, uint16_t queue,
                    rte_spinlock_t* lock, PortCounters& counters) noexcept {
  if (lock) rte_spinlock_lock(lock);
  const uint16_t sent = rte_eth_tx_burst(port_id, queue, pkts, n);
  if (lock) rte_spinlock_unlock(lock);
  // What the driver did not take is still ours: its bytes are subtracted.
  if (sent < n) {
    for (uint16_t i = sent; i < n; ++i) bytes -= pkts[i]->pkt_len;
    rte_pktmbuf_free_bulk(pkts + sent, n - sent);
    counters.drop(DropReason::tx_full, n - sent);
  }
  counters.tx_packets.add(sent);
  counters.tx_bytes.add(bytes);
}

}  // namespace sluice
