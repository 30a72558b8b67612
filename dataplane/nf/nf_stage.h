// The NF stage of a forwarding worker: packets that the flow pipeline handed
// to `nf:N` during one receive burst wait here; after the burst, each NF
// instance processes its packets in batches and each gate's packets go on:
//
//   kReply    out of the port the burst came in on (Sink::reply)
//   kForward  resume_after_nf(): the rest of the action list after the nf
//             action, then the path's later rules (flow_actions.h); parsed
//             again only when those actions need the key (group select). An nf
//             action there (a chain: nf:1,nf:2,output:3) stages the packet
//             again; the stage runs rounds until nothing is staged.
//   others    dropped as action_drop (gates 2..3 have no host meaning yet)
//   send()    through the nf actions that follow in the list, if any (a
//             router then a firewall: nf:r1,nf:fw), then out of the port the
//             NF chose (Sink::send), any port including the input one; no
//             other action of the list applies to it
//
// A batch holds packets of one instance that continue the same way
// (NfContinuation::same_as): usually one batch, so one process() call, per
// instance per burst. Packets for an instance number with no instance, or
// beyond the stage's room (kMaxBatches batches of kBurst), are dropped as
// nf_unavailable.
//
// Thread-safety: owned by one worker; no heap, no locks, no throw.
#pragma once

#include <rte_common.h>
#include <rte_cycles.h>

#include <array>
#include <cstdint>

#include "dataplane/flow/flow_actions.h"
#include "dataplane/flow/flow_extract.h"
#include "dataplane/nf/nf_set.h"

namespace sluice {

class NfStage {
 public:
  static constexpr unsigned kMaxBatches = 32;  // per round

  NfStage() : ns_per_tsc_(1e9 / static_cast<double>(rte_get_tsc_hz())) {}

  // From Sink::nf. False when the stage has no room (the caller drops).
  bool stage(uint32_t instance, rte_mbuf* m, const NfContinuation& next) noexcept {
    Round& r = rounds_[filling_];
    for (uint16_t i = 0; i < r.count; ++i) {
      Batch& b = r.batches[i];
      if (b.instance == instance && b.next.same_as(next) && b.pkts.push(m)) return true;
    }
    if (r.count == kMaxBatches) return false;
    Batch& b = r.batches[r.count++];
    b.instance = instance;
    b.next = next;
    if (next.path != nullptr) {
      b.path = *next.path;
      b.next.path = &b.path;
    }
    b.pkts.count = 0;
    b.pkts.push(m);
    return true;
  }

  bool empty() const noexcept { return rounds_[filling_].count == 0; }

  // Runs the staged batches (and the rounds they cause) on `nfs`. The Sink
  // is the worker's FlowSink for this burst: it also offers reply(m) and
  // send(port_number, m).
  template <class Sink>
  void run(const NfSet* nfs, unsigned worker, uint16_t in_port, uint64_t tsc, FlowWorker& flows,
           const PipelineVersion& version, Sink& sink) noexcept {
    const nf::BatchContext ctx{worker, in_port, static_cast<uint64_t>(tsc * ns_per_tsc_)};
    while (!empty()) {
      Round& r = rounds_[filling_];
      filling_ ^= 1u;
      for (uint16_t i = 0; i < r.count; ++i) {
        run_batch(r.batches[i], nfs, ctx, flows, version, sink);
      }
      r.count = 0;
    }
  }

 private:
  struct Batch {
    uint32_t instance;
    NfContinuation next;  // its path points at `path`
    FlowPath path;
    nf::PacketBatch pkts;
  };
  struct Round {
    std::array<Batch, kMaxBatches> batches;
    uint16_t count = 0;
  };

  template <class Sink>
  void run_batch(const Batch& b, const NfSet* nfs, const nf::BatchContext& ctx, FlowWorker& flows,
                 const PipelineVersion& version, Sink& sink) noexcept {
    nf::NfInstance* instance = nfs != nullptr ? nfs->find(b.instance) : nullptr;
    if (instance == nullptr || ctx.worker >= instance->workers()) {
      for (uint16_t i = 0; i < b.pkts.count; ++i)
        sink.drop(b.pkts.pkts[i], DropReason::nf_unavailable);
      return;
    }
    instance->process(ctx, b.pkts, out_);
    const uint16_t replies = out_.count(nf::kReply);
    for (uint16_t i = 0; i < replies; ++i) sink.reply(out_.packets(nf::kReply)[i]);
    for (uint16_t i = 0; i < out_.sent(); ++i)
      continue_sent(b.next, out_.sent_port(i), out_.sent_packet(i), sink);
    for (unsigned g = nf::kReply + 1; g < nf::kMaxGates; ++g)
      for (uint16_t i = 0; i < out_.count(g); ++i)
        sink.drop(out_.packets(g)[i], DropReason::action_drop);
    const uint16_t forwarded = out_.count(nf::kForward);
    rte_mbuf* const* fwd = out_.packets(nf::kForward);
    const bool keyed = uses_key(b.next);
    FlowKey key{};
    for (uint16_t i = 0; i < forwarded; ++i) {
      if (b.next.send_port >= 0) {
        continue_sent(b.next, static_cast<uint16_t>(b.next.send_port), fwd[i], sink);
        continue;
      }
      if (keyed) {
        const ParseStatus st = extract_flow_key(fwd[i], ctx.in_port, key);
        if (st != ParseStatus::ok) {
          sink.drop(fwd[i],
                    st == ParseStatus::truncated ? DropReason::truncated : DropReason::bad_header);
          continue;
        }
      }
      resume_after_nf(b.next, fwd[i], key, flows, version, sink);
    }
  }

  // A packet sent to `port` by an NF (or forwarded by an NF after one that
  // sent it): to the next nf action of the list after `from`, else out.
  template <class Sink>
  static void continue_sent(const NfContinuation& from, uint16_t port, rte_mbuf* m,
                            Sink& sink) noexcept {
    for (const Action* a = from.next; a != from.end; ++a) {
      if (a->type != ActionType::nf) continue;
      NfContinuation next;
      next.next = a + 1;
      next.end = from.end;
      next.table = from.table;
      next.cookie = from.cookie;
      next.now = from.now;
      next.send_port = port;
      return sink.nf(a->arg, m, next);
    }
    sink.send(port, m);
  }

  // Whether the actions a continuation runs read the packet's key (group
  // select hashes it); if not, forwarded packets are not parsed again.
  static bool uses_key(const NfContinuation& next) noexcept {
    for (const Action* a = next.next; a != next.end; ++a)
      if (a->type == ActionType::group) return true;
    if (next.path == nullptr) return false;
    for (unsigned r = next.rule + 1u; r < next.path->n; ++r)
      for (size_t i = 0; i < next.path->rules[r]->n_actions; ++i)
        if (next.path->rules[r]->actions[i].type == ActionType::group) return true;
    return false;
  }

  const double ns_per_tsc_;
  unsigned filling_ = 0;
  std::array<Round, 2> rounds_;
  nf::GateOutput out_;
};

}  // namespace sluice
