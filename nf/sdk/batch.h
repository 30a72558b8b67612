// NF SDK, data-path types: the batch a network function receives, the context
// it runs in, and the gates it emits packets on.
//
// Contract (every NF, every call of NetworkFunction::process):
//   - Each packet of the batch ends in exactly one place: emitted on one gate
//     with GateOutput::emit, or dropped with one named reason with
//     GateOutput::drop (which frees it at once). Never both, never neither.
//   - An NF may rewrite a packet in place, or replace it by another mbuf that it
//     emits instead (freeing the original); it never emits more packets than
//     it received.
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

// Gates with a meaning the host knows. An NF class lists its gates in
// NfClassInfo::gates; those with these indices must mean this:
//   kForward  continue: to the next NF of a chain, or back to the flow tables
//   kReply    answer: send out of the port the batch came in on (for example a
//             reject reply)
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

  // Host side.
  void clear() noexcept {
    counts_ = {};
    drops_ = {};
    dropped_ = 0;
    errors_ = 0;
  }
  uint16_t count(unsigned gate) const noexcept { return counts_[gate]; }
  rte_mbuf* const* packets(unsigned gate) const noexcept { return gates_[gate].data(); }
  uint16_t drops(unsigned reason) const noexcept { return drops_[reason]; }
  uint16_t dropped() const noexcept { return dropped_; }
  uint16_t contract_errors() const noexcept { return errors_; }
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
  uint16_t dropped_ = 0;
  uint16_t errors_ = 0;
};

}  // namespace sluice::nf
