#include "dataplane/worker/controller_channel.h"

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_mbuf_dyn.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <string>

#include "common/error.h"

namespace sluice {
namespace {

struct PacketInMeta {
  uint64_t cookie;
  uint16_t in_port;
  uint8_t table;
};

const rte_mbuf_dynfield kPacketInField = {
    "sluice_dynfield_packet_in", sizeof(PacketInMeta), alignof(PacketInMeta), 0};

std::atomic<unsigned> channel_serial{0};

}  // namespace

ControllerChannel::ControllerChannel(unsigned workers, uint32_t rate_pps)
    : rate_pps_(rate_pps), tsc_hz_(static_cast<double>(rte_get_tsc_hz())) {
  meta_offset_ = rte_mbuf_dynfield_register(&kPacketInField);
  if (meta_offset_ < 0) throw Error("cannot register the packet-in mbuf field", rte_errno);
  const unsigned serial = channel_serial++;
  for (unsigned w = 0; w < workers; ++w) {
    auto lane = std::make_unique<Lane>();
    const std::string suffix = std::to_string(serial) + "_" + std::to_string(w);
    lane->punt = rte_ring_create(("sl_punt" + suffix).c_str(), kRingSize, SOCKET_ID_ANY,
                                 RING_F_SP_ENQ | RING_F_SC_DEQ);
    lane->inject = rte_ring_create(("sl_inject" + suffix).c_str(), kRingSize, SOCKET_ID_ANY,
                                   RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (lane->punt == nullptr || lane->inject == nullptr) {
      rte_ring_free(lane->punt);
      rte_ring_free(lane->inject);
      throw Error("cannot create the controller channel rings", rte_errno);
    }
    lane->tokens = rate_pps;
    lanes_.push_back(std::move(lane));
  }
}

ControllerChannel::~ControllerChannel() {
  for (auto& lane : lanes_) {
    for (rte_ring* ring : {lane->punt, lane->inject}) {
      void* m;
      while (rte_ring_dequeue(ring, &m) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
      rte_ring_free(ring);
    }
  }
}

bool ControllerChannel::punt(unsigned worker, rte_mbuf* m, uint16_t in_port, uint8_t table,
                             uint64_t cookie, uint64_t tsc) noexcept {
  Lane& lane = *lanes_[worker];
  if (lane.last_tsc != 0) {
    lane.tokens = std::min<double>(
        rate_pps_, lane.tokens + static_cast<double>(tsc - lane.last_tsc) * rate_pps_ / tsc_hz_);
  }
  lane.last_tsc = tsc;
  if (lane.tokens < 1.0) return false;
  auto* meta = RTE_MBUF_DYNFIELD(m, meta_offset_, PacketInMeta*);
  *meta = {cookie, in_port, table};
  if (rte_ring_sp_enqueue(lane.punt, m) != 0) return false;
  lane.tokens -= 1.0;
  return true;
}

std::vector<PacketIn> ControllerChannel::take_packet_ins(std::size_t max) {
  std::vector<PacketIn> out;
  for (unsigned w = 0; w < lanes_.size() && out.size() < max; ++w) {
    void* object;
    while (out.size() < max && rte_ring_sc_dequeue(lanes_[w]->punt, &object) == 0) {
      auto* m = static_cast<rte_mbuf*>(object);
      const auto* meta = RTE_MBUF_DYNFIELD(m, meta_offset_, const PacketInMeta*);
      PacketIn in{meta->in_port, meta->table, meta->cookie, w, {}};
      in.bytes.resize(m->pkt_len);
      const void* data = rte_pktmbuf_read(m, 0, m->pkt_len, in.bytes.data());
      if (data != in.bytes.data()) std::memcpy(in.bytes.data(), data, m->pkt_len);
      rte_pktmbuf_free(m);
      out.push_back(std::move(in));
    }
  }
  return out;
}

void ControllerChannel::inject(rte_mbuf* m, uint16_t port_id) {
  m->port = port_id;
  if (rte_ring_sp_enqueue(lanes_.front()->inject, m) != 0) {
    rte_pktmbuf_free(m);
    throw Error("packet-out queue is full: retry later", EAGAIN);
  }
}

}  // namespace sluice
