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

#include <rte_prefetch.h>

#include <algorithm>

#include "dataplane/flow/flow_actions.h"

namespace sluice {

// One packet whose key is extracted and hashed: cache, classifier, actions.
// Returns whether the cache hit; the caller counts packets and hits.
template <class Sink>
inline bool process_keyed(FlowWorker& w, const PipelineVersion& v, rte_mbuf* m,
                          const FlowKey& key, uint32_t h, uint64_t now, Sink& sink) {
  FlowPath path;
  const bool hit = w.emc.lookup(key, h, v.generation, path);
  if (!hit) {
    FlowKey walk = key;
    resolve_path(v, walk, path);
    if (w.emc.admit()) w.emc.insert(key, h, v.generation, path);
  }
  w.emc.account(1, hit ? 1 : 0);
  execute_path(path, m, key, w, v, now, sink);
  return hit;
}

template <class Sink>
inline void process_packet(FlowWorker& w, const PipelineVersion& v, rte_mbuf* m, uint16_t in_port,
                           uint64_t now, Sink& sink) {
  FlowKey key;
  ParseStatus st = extract_flow_key(m, in_port, key);
  if (st != ParseStatus::ok) {
    sink.drop(m, st == ParseStatus::truncated ? DropReason::truncated : DropReason::bad_header);
    return;
  }
  const bool hit = process_keyed(w, v, m, key, ExactMatchCache::hash(key), now, sink);
  FlowWorker::add(w.stats.packets, 1);
  FlowWorker::add(hit ? w.stats.emc_hits : w.stats.emc_misses, 1);
}

// Runs `n` packets received on `in_port` through the pipeline; each ends in
// exactly one Sink call (see flow_actions.h). In stages of up to 32 packets:
// prefetch every packet's headers, extract every key, hash every key and
// prefetch its cache tags, probe every tag (prefetching the entries), look
// up every key in the cache, resolve the misses
// together (table 0 with bulk hash lookups), then act, in arrival order. The
// memory loads of different packets overlap.
template <class Sink>
inline void process_burst(FlowWorker& w, const PipelineVersion& v, rte_mbuf* const* pkts,
                          uint16_t n, uint16_t in_port, uint64_t now, Sink& sink) {
  constexpr uint16_t kStage = TupleSpaceClassifier::kBulk;
  FlowKey keys[kStage];
  uint32_t hashes[kStage];
  bool parsed[kStage];
  for (uint16_t base = 0; base < n; base += kStage) {
    const uint16_t count = std::min<uint16_t>(kStage, static_cast<uint16_t>(n - base));
    rte_mbuf* const* batch = pkts + base;
    for (uint16_t i = 0; i < count; ++i) rte_prefetch0(rte_pktmbuf_mtod(batch[i], const void*));
    for (uint16_t i = 0; i < count; ++i) {
      const ParseStatus st = extract_flow_key(batch[i], in_port, keys[i]);
      parsed[i] = st == ParseStatus::ok;
      if (!parsed[i]) {
        sink.drop(batch[i],
                  st == ParseStatus::truncated ? DropReason::truncated : DropReason::bad_header);
        continue;
      }
    }
    // Hashing in its own pass lets the key stores above retire first: a wide
    // load right after the narrow stores would stall on store forwarding.
    for (uint16_t i = 0; i < count; ++i) {
      if (!parsed[i]) continue;
      hashes[i] = ExactMatchCache::hash(keys[i]);
      w.emc.prefetch(hashes[i]);
    }
    unsigned ways[kStage];
    for (uint16_t i = 0; i < count; ++i)
      if (parsed[i]) ways[i] = w.emc.probe(hashes[i], v.generation);
    // Cache lookups; the misses are resolved together, table 0 in bulk.
    FlowPath paths[kStage];
    FlowKey walks[kStage];
    FlowKey* miss_keys[kStage];
    FlowPath* miss_paths[kStage];
    uint16_t missed[kStage];
    unsigned packets = 0, misses = 0;
    for (uint16_t i = 0; i < count; ++i) {
      if (!parsed[i]) continue;
      ++packets;
      if (w.emc.fetch(keys[i], hashes[i], ways[i], paths[i])) continue;
      walks[misses] = keys[i];
      miss_keys[misses] = &walks[misses];
      miss_paths[misses] = &paths[i];
      missed[misses++] = i;
    }
    if (misses > 0) {
      resolve_paths(v, miss_keys, misses, miss_paths);
      for (unsigned k = 0; k < misses; ++k) {
        const uint16_t i = missed[k];
        if (w.emc.admit()) w.emc.insert(keys[i], hashes[i], v.generation, paths[i]);
      }
    }
    w.emc.account(packets, packets - misses);
    for (uint16_t i = 0; i < count; ++i) {
      if (parsed[i]) execute_path(paths[i], batch[i], keys[i], w, v, now, sink);
    }
    FlowWorker::add(w.stats.packets, packets);
    FlowWorker::add(w.stats.emc_hits, packets - misses);
    FlowWorker::add(w.stats.emc_misses, misses);
  }
}

}  // namespace sluice
