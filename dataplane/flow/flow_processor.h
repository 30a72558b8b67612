// The per-burst entry point a forwarding worker calls: exact-match caches,
// tuple-space classifier, actions.
//
// How a worker uses the flow pipeline:
//
//   // start-up, control thread, before the worker runs:
//   FlowWorker& fw = pipeline.add_worker(rcu_thread_id);
//   rcu.register_thread(rcu_thread_id);              // on the worker
//   // every poll loop, on the worker:
//   const PipelineVersion* v = pipeline.current();   // once per loop
//   uint64_t now = rte_get_tsc_cycles();
//   for each port: n = rte_eth_rx_burst(...);
//                  process_burst(fw, *v, pkts, n, port_no, now, sink);
//   flush TX buffers;
//   rcu.quiescent(rcu_thread_id);                     // v is not used after this
//
// Thread-safety: the owning worker only; `v` must come from current() since
// the worker's last quiescent state.
#pragma once

#include <rte_prefetch.h>

#include <algorithm>

#include "dataplane/flow/flow_actions.h"

namespace sluice {

namespace detail {

// What one stage of a burst (up to 32 packets) has learnt about its packets.
struct BurstStage {
  static constexpr unsigned kMax = TupleSpaceClassifier::kBulk;
  static_assert(kMax <= 32, "stage masks are 32-bit");

  uint32_t live = 0;    // not dropped while parsing
  uint32_t common = 0;  // have a HeaderSignature
  uint32_t repeat = 0;  // same signature as the packet before: same path
  uint32_t keyed = 0;   // keys[i] holds the packet's arrival FlowKey
  HeaderSignature sigs[kMax];
  FlowKey keys[kMax];
  uint32_t hashes[kMax];
  SoleRule sole[kMax];  // the path is one rule; else sole[i].rule is nullptr: paths[i]
  FlowPath paths[kMax];

  static bool has(uint32_t mask, unsigned i) { return (mask >> i) & 1; }
};

// Fills stage.keys[i] from the packet; false (packet dropped) if it does not
// parse.
template <class Sink>
inline bool key_packet(BurstStage& s, unsigned i, rte_mbuf* m, uint16_t in_port, Sink& sink) {
  const ParseStatus st = extract_flow_key(m, in_port, s.keys[i]);
  if (st != ParseStatus::ok) {
    sink.drop(m, st == ParseStatus::truncated ? DropReason::truncated : DropReason::bad_header);
    s.live &= ~(1u << i);
    return false;
  }
  s.keyed |= 1u << i;
  return true;
}

// Looks up every live packet that does not repeat its predecessor in its
// cache, resolves the misses together (table 0 with bulk hash lookups),
// inserts them, and gives repeats their predecessor's path.
template <class Sink>
inline void resolve_stage(BurstStage& s, FlowWorker& w, const PipelineVersion& v,
                          rte_mbuf* const* batch, unsigned count, uint16_t in_port, Sink& sink) {
  FlowKey walks[BurstStage::kMax];
  FlowKey* miss_keys[BurstStage::kMax];
  FlowPath* miss_paths[BurstStage::kMax];
  uint8_t missed[BurstStage::kMax];
  unsigned misses = 0, sig_lookups = 0, sig_hits = 0, key_lookups = 0, key_hits = 0;
  for (unsigned i = 0; i < count; ++i) {
    if (!BurstStage::has(s.live & ~s.repeat, i)) continue;
    int e;
    if (BurstStage::has(s.common, i)) {
      ++sig_lookups;
      e = w.signature_emc.find(s.sigs[i], s.hashes[i], v.generation);
      if (e != SignatureCache::kMiss) {
        ++sig_hits;
        s.sole[i] = w.signature_emc.sole(e);
        if (s.sole[i].rule == nullptr) w.signature_emc.path(e, s.paths[i]);
        w.prefetch_counter(s.sole[i].id);
        continue;
      }
      if (!key_packet(s, i, batch[i], in_port, sink)) continue;
    } else {
      ++key_lookups;
      e = w.key_emc.find(ArrivalKey(s.keys[i]), s.hashes[i], v.generation);
      if (e != KeyCache::kMiss) {
        ++key_hits;
        s.sole[i] = w.key_emc.sole(e);
        if (s.sole[i].rule == nullptr) w.key_emc.path(e, s.paths[i]);
        w.prefetch_counter(s.sole[i].id);
        continue;
      }
    }
    walks[misses] = s.keys[i];
    miss_keys[misses] = &walks[misses];
    miss_paths[misses] = &s.paths[i];
    missed[misses++] = static_cast<uint8_t>(i);
  }
  if (misses > 0) {
    resolve_paths(v, miss_keys, misses, miss_paths);
    for (unsigned k = 0; k < misses; ++k) {
      const unsigned i = missed[k];
      const FlowPath& p = s.paths[i];
      s.sole[i] = SoleRule::of(p);
      if (BurstStage::has(s.common, i)) {
        if (w.signature_emc.admit())
          w.signature_emc.insert(s.sigs[i], s.hashes[i], v.generation, p);
      } else if (w.key_emc.admit()) {
        w.key_emc.insert(ArrivalKey(s.keys[i]), s.hashes[i], v.generation, p);
      }
    }
  }
  for (unsigned i = 1; i < count; ++i) {
    if (!BurstStage::has(s.repeat, i)) continue;
    s.sole[i] = s.sole[i - 1];
    if (s.sole[i].rule == nullptr) s.paths[i] = s.paths[i - 1];
  }
  w.signature_emc.account(sig_lookups, sig_hits);
  w.key_emc.account(key_lookups, key_hits);
  const unsigned repeats = static_cast<unsigned>(std::popcount(s.repeat & s.live));
  const unsigned packets = static_cast<unsigned>(std::popcount(s.live));
  FlowWorker::add(w.stats.packets, packets);
  FlowWorker::add(w.stats.emc_hits, sig_hits + key_hits + repeats);
  FlowWorker::add(w.stats.emc_misses, misses);
}

// Packets of one-rule paths are counted per run of the same rule: one counter
// update for a run, however long.
struct RuleRun {
  uint32_t id = 0;
  uint32_t packets = 0;
  uint64_t bytes = 0;

  void add(FlowWorker& w, uint32_t rule_id, uint32_t len, uint64_t now) {
    if (rule_id != id) {
      flush(w, now);
      id = rule_id;
    }
    ++packets;
    bytes += len;
  }
  void flush(FlowWorker& w, uint64_t now) {
    if (packets > 0) w.count(id, packets, bytes, now);
    packets = 0;
    bytes = 0;
  }
};

// Packets of one-rule paths to the same port, collected in arrival order and
// handed to the Sink together (output_run when it has one).
template <class Sink>
struct OutputRun {
  int32_t port = -1;
  uint16_t n = 0;
  rte_mbuf* pkts[BurstStage::kMax];

  void add(Sink& sink, int32_t to, rte_mbuf* m) {
    if (to != port) {
      flush(sink);
      port = to;
    }
    pkts[n++] = m;
  }
  void flush(Sink& sink) {
    if (n == 0) return;
    const auto p = static_cast<uint16_t>(port);
    if constexpr (requires { sink.output_run(p, pkts, n); }) {
      sink.output_run(p, pkts, n);
    } else {
      for (uint16_t i = 0; i < n; ++i) sink.output(p, pkts[i]);
    }
    n = 0;
  }
};

}  // namespace detail

// Runs `n` packets received on `in_port` through the pipeline; each ends in
// exactly one Sink call (see flow_actions.h). In stages of up to 32 packets:
// read every packet's HeaderSignature (or, for a frame that is not common,
// parse its FlowKey), hash and prefetch the cache sets, look every packet up
// (a packet whose signature equals its predecessor's takes its path without
// a lookup), resolve the misses together, then act, in arrival order. The
// memory loads of different packets overlap.
template <class Sink>
inline void process_burst(FlowWorker& w, const PipelineVersion& v, rte_mbuf* const* pkts,
                          uint16_t n, uint16_t in_port, uint64_t now, Sink& sink) {
  using detail::BurstStage;
  BurstStage s;
  for (uint16_t base = 0; base < n; base += BurstStage::kMax) {
    const unsigned count = std::min<unsigned>(BurstStage::kMax, n - base);
    rte_mbuf* const* batch = pkts + base;
    s.live = count == 32 ? ~0u : (1u << count) - 1;
    s.common = s.repeat = s.keyed = 0;
    for (unsigned i = 0; i < count; ++i) rte_prefetch0(rte_pktmbuf_mtod(batch[i], const void*));
    for (unsigned i = 0; i < count; ++i) {
      if (!header_signature(batch[i], in_port, s.sigs[i])) continue;
      s.common |= 1u << i;
      if (i > 0 && BurstStage::has(s.common, i - 1) && s.sigs[i] == s.sigs[i - 1])
        s.repeat |= 1u << i;
    }
    for (unsigned i = 0; i < count; ++i) {
      if (BurstStage::has(s.repeat, i)) continue;
      if (BurstStage::has(s.common, i)) {
        s.hashes[i] = s.sigs[i].hash();
        w.signature_emc.prefetch(s.hashes[i]);
      } else if (detail::key_packet(s, i, batch[i], in_port, sink)) {
        s.hashes[i] = ArrivalKey(s.keys[i]).hash();
        w.key_emc.prefetch(s.hashes[i]);
      }
    }
    detail::resolve_stage(s, w, v, batch, count, in_port, sink);
    detail::RuleRun run;
    detail::OutputRun<Sink> out;
    for (unsigned i = 0; i < count; ++i) {
      if (!BurstStage::has(s.live, i)) continue;
      rte_mbuf* m = batch[i];
      const SoleRule& sole = s.sole[i];
      if (sole.output >= 0) {  // the common case
        run.add(w, sole.id, m->pkt_len, now);
        out.add(sink, sole.output, m);
        continue;
      }
      out.flush(sink);  // what this packet outputs comes after them
      // Group select hashes the arrival key: parse it if only the signature
      // was read.
      if (!BurstStage::has(s.keyed, i) && !detail::key_packet(s, i, m, in_port, sink)) continue;
      if (sole.rule != nullptr) {
        s.paths[i].n = 1;
        s.paths[i].missed = false;
        s.paths[i].rules[0] = sole.rule;
      }
      execute_path(s.paths[i], m, s.keys[i], w, v, now, sink);
    }
    out.flush(sink);
    run.flush(w, now);
  }
}

// One packet: process_burst() of a burst of one.
template <class Sink>
inline void process_packet(FlowWorker& w, const PipelineVersion& v, rte_mbuf* m, uint16_t in_port,
                           uint64_t now, Sink& sink) {
  process_burst(w, v, &m, 1, in_port, now, sink);
}

}  // namespace sluice
