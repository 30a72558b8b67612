// The "normal" action: a MAC-learning L2 switch, per packet.
//
// Learns the source MAC on the input port, then forwards a known unicast
// destination to its port, floods group and unknown destinations, and never
// sends a frame back out of the port it came in on (counted as same_port).
// `Out` is the worker's output stage: output(port_id, m), flood(in_port_id, m),
// drop(in_port_id, m, reason). The packet is handed to exactly one of them.
#pragma once

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "dataplane/l2/mac_table.h"
#include "dataplane/stats/drop_reason.h"

namespace sluice {

template <class Out>
inline void l2_forward(rte_mbuf* m, uint16_t in_port_id, MacTable& macs, uint32_t now,
                       Out& out) noexcept {
  if (m->data_len < RTE_ETHER_HDR_LEN) {
    out.drop(in_port_id, m, DropReason::runt);
    return;
  }
  const auto* eth = rte_pktmbuf_mtod(m, const rte_ether_hdr*);
  macs.learn(mac_from_bytes(eth->src_addr.addr_bytes), in_port_id, now);
  const MacAddress dst = mac_from_bytes(eth->dst_addr.addr_bytes);
  if (mac_is_group(dst)) {
    out.flood(in_port_id, m);
    return;
  }
  const uint16_t port = macs.lookup(dst, now);
  if (port == MacTable::kNoPort) {
    out.flood(in_port_id, m);
  } else if (port == in_port_id) {
    out.drop(in_port_id, m, DropReason::same_port);
  } else {
    out.output(port, m);
  }
}

}  // namespace sluice
