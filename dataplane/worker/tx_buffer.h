// Per-worker, per-port TX buffering: packets collect until a burst is full
// or the poll loop ends, then go out in one rte_eth_tx_burst. Whatever the
// queue does not take is freed at once and counted as tx_full.
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

// Sends what `buffer` holds on (port_id, queue); counts into `counters`.
inline void tx_flush(TxBuffer& buffer, uint16_t port_id, uint16_t queue, rte_spinlock_t* lock,
                     PortCounters& counters) noexcept {
  const uint16_t n = buffer.count;
  if (n == 0) return;
  // What the driver did not take is still ours: its bytes are subtracted.
  uint64_t bytes = buffer.bytes;
  if (lock) rte_spinlock_lock(lock);
  const uint16_t sent = rte_eth_tx_burst(port_id, queue, buffer.pkts, n);
  if (lock) rte_spinlock_unlock(lock);
  if (sent < n) {
    for (uint16_t i = sent; i < n; ++i) bytes -= buffer.pkts[i]->pkt_len;
    rte_pktmbuf_free_bulk(buffer.pkts + sent, n - sent);
    counters.drop(DropReason::tx_full, n - sent);
  }
  counters.tx_packets.add(sent);
  counters.tx_bytes.add(bytes);
  buffer.count = 0;
  buffer.bytes = 0;
}

}  // namespace sluice
