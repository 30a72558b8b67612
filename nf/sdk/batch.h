// NF SDK, data-path types: the batch a network function receives, the context
// it runs in, and the gates it emits packets on.
//
// Contract (every NF, every call of NetworkFunction::process):
//   - Each packet of the batch ends in exactly one place: emitted on one gate
//     with GateOutput::emit, sent out of a port with GateOutput::send, held
//     by the NF with GateOutput::hold, or dropped with one named reason with
//     GateOutput::drop (which frees it at once). Never two, never none.
//   - An NF may rewrite a packet in place, or replace it by another mbuf that it
//     emits instead (freeing the original). On the gates it never emits more
//     packets than it received.
//   - Only send() may carry packets that were not in the batch: ones the NF
//     held in an earlier batch (a router's packets waiting for a neighbour's
//     address) or made (an ARP request), at most kMaxSends in all per batch
//     (send_room() says how many more fit). Such a packet may also be
//     dropped with drop(). A held packet is the NF's: it sends or drops it
//     in a later batch, or frees it when it is destroyed.
//   - Nothing here throws, allocates from the heap, locks, sleeps or logs.
//
// Thread-safety: a PacketBatch, BatchContext and GateOutput belong to the one
// forwarding worker that fills and drains them.
#pragma once

#include <rte_mbuf.h>

#include <array>
#include <cstdint>

namespace sluice::nf {

// The host's burst size: a batch holds at most this many packets.
inline constexpr unsigned kBurst = 32;
// Gates an NF may emit on (0..kMaxGates-1); the NF names the ones it uses.
inline constexpr unsigned kMaxGates = 4;
// Named drop reasons an NF class may declare (0..kMaxDropReasons-1).
inline constexpr unsigned kMaxDropReasons = 16;
// Packets an NF may send out of ports (GateOutput::send) per batch.
inline constexpr unsigned kMaxSends = 4 * kBurst;

// Gates with a meaning the host knows. An NF class lists its gates in
// NfClassInfo::gates; those with these indices must mean this:
//   kForward  continue: to the next NF of a chain, or back to the flow tables
//   kReply    answer: send out of the port the batch came in on (for example a
//             reject reply)
// An NF that chooses the output port itself (a router) does not use gates
// for it: GateOutput::send(port, m) sends out of any sluice port, the input
// port included, and the packet skips the rest of the action list.
inline constexpr unsigned kForward = 0;
inline constexpr unsigned kReply = 1;

// Where and when a batch runs. Filled by the host once per batch.
struct BatchContext {
  unsigned worker = 0;   // forwarding worker index, 0..W-1 (W given at init)
  uint16_t in_port = 0;  // sluice port number every packet of the batch came in on
  uint64_t now_ns = 0;   // the host's monotonic clock for this batch (tests inject it)
};

// Up to kBurst packets, all from one input port.
struct PacketBatch {
  std::array<rte_mbuf*, kBurst> pkts{};
  uint16_t count = 0;

  bool push(rte_mbuf* m) noexcept {
    if (count == kBurst) return false;
    pkts[count++] = m;
    return true;
  }
};

// Where an NF puts its packets. The host clears it before process() and reads
// the gates after it; the NF only calls emit() and drop().
class GateOutput {
 public:
  // NF side. A gate or reason outside the class's declared range is a bug in
  // the NF: the packet is freed and counted as a contract error.
  void emit(unsigned gate, rte_mbuf* m) noexcept {
    if (gate >= kMaxGates || counts_[gate] == kBurst) return contract_error(m);
    gates_[gate][counts_[gate]++] = m;
  }
  void drop(rte_mbuf* m, unsigned reason) noexcept {
    if (reason >= kMaxDropReasons) return contract_error(m);
    rte_pktmbuf_free(m);
    ++drops_[reason];
    ++dropped_;
  }
  // Out of sluice port `port` (any port; the host drops it if the port is
  // not there). Beyond send_room() the packet is freed as a contract error.
  void send(uint16_t port, rte_mbuf* m) noexcept {
    if (sends_ == kMaxSends) return contract_error(m);
    send_ports_[sends_] = port;
    send_pkts_[sends_++] = m;
  }
  uint16_t send_room() const noexcept { return static_cast<uint16_t>(kMaxSends - sends_); }
  // The NF keeps `m` (see the contract above); only counted here.
  void hold(rte_mbuf*) noexcept { ++held_; }

  // Host side.
  void clear() noexcept {
    counts_ = {};
    drops_ = {};
    dropped_ = 0;
    errors_ = 0;
    sends_ = 0;
    held_ = 0;
  }
  uint16_t count(unsigned gate) const noexcept { return counts_[gate]; }
  rte_mbuf* const* packets(unsigned gate) const noexcept { return gates_[gate].data(); }
  uint16_t drops(unsigned reason) const noexcept { return drops_[reason]; }
  uint16_t dropped() const noexcept { return dropped_; }
  uint16_t contract_errors() const noexcept { return errors_; }
  uint16_t sent() const noexcept { return sends_; }
  uint16_t sent_port(unsigned i) const noexcept { return send_ports_[i]; }
  rte_mbuf* sent_packet(unsigned i) const noexcept { return send_pkts_[i]; }
  uint16_t held() const noexcept { return held_; }
  uint16_t emitted() const noexcept {
    uint16_t n = 0;
    for (uint16_t c : counts_) n = static_cast<uint16_t>(n + c);
    return n;
  }

 private:
  void contract_error(rte_mbuf* m) noexcept {
    rte_pktmbuf_free(m);
    ++errors_;
    ++dropped_;
  }

  std::array<std::array<rte_mbuf*, kBurst>, kMaxGates> gates_;
  std::array<uint16_t, kMaxGates> counts_{};
  std::array<uint16_t, kMaxDropReasons> drops_{};
  std::array<rte_mbuf*, kMaxSends> send_pkts_;
  std::array<uint16_t, kMaxSends> send_ports_;
  uint16_t dropped_ = 0;
  uint16_t errors_ = 0;
  uint16_t sends_ = 0;
  uint16_t held_ = 0;
};

}  // namespace sluice::nf
