// The per-burst entry point a forwarding worker calls: parse, exact-match
// cache, tuple-space classifier, actions.
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

#include "dataplane/flow/flow_actions.h"

namespace sluice {

template <class Sink>
inline void process_packet(FlowWorker& w, const PipelineVersion& v, rte_mbuf* m, uint16_t in_port,
                           uint64_t now, Sink& sink) {
  FlowKey key;
  ParseStatus st = extract_flow_key(m, in_port, key);
  if (st != ParseStatus::ok) {
    sink.drop(m, st == ParseStatus::truncated ? DropReason::truncated : DropReason::bad_header);
    return;
  }
  FlowWorker::bump(w.stats.packets);
  uint32_t h = ExactMatchCache::hash(key);
  FlowPath path;
  if (w.emc.lookup(key, h, v.generation, path)) {
    FlowWorker::bump(w.stats.emc_hits);
  } else {
    FlowWorker::bump(w.stats.emc_misses);
    FlowKey walk = key;
    resolve_path(v, walk, path);
    w.emc.insert(key, h, v.generation, path);
  }
  execute_path(path, m, key, w, v, now, sink);
}

// Runs `n` packets received on `in_port` through the pipeline; each ends in
// exactly one Sink call (see flow_actions.h).
template <class Sink>
inline void process_burst(FlowWorker& w, const PipelineVersion& v, rte_mbuf* const* pkts,
                          uint16_t n, uint16_t in_port, uint64_t now, Sink& sink) {
  for (uint16_t i = 0; i < n; ++i) process_packet(w, v, pkts[i], in_port, now, sink);
}

}  // namespace sluice
