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

#include <rte_ether.h>
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
  // Packet 0 continues the worker's open run (FlowWorker::open_run): it is
  // not looked up, sole[0] is that run's.
  bool carried = false;
  // The port every looked-up packet's one-rule path outputs to, when they
  // all output to the same one; -1 otherwise (set by resolve_stage).
  int32_t sole_output = -1;
  HeaderSignature sigs[kMax];
  FlowKey keys[kMax];
  uint32_t hashes[kMax];
  // bytes_before[i]: pkt_len summed over the packets before i (i <= count).
  uint64_t bytes_before[kMax + 1];
  // Written before they are read, so not initialised (their types have
  // member initialisers): sole[i] when the path is one rule, else
  // sole[i].rule is nullptr and paths[i] holds it. Repeats have neither.
  union {
    SoleRule sole[kMax];
  };
  union {
    FlowPath paths[kMax];
  };

  BurstStage() {}
  static bool has(uint32_t mask, unsigned i) { return (mask >> i) & 1; }
  // The packets [from, to), to <= 32.
  static uint32_t packets(unsigned from, unsigned to) {
    return static_cast<uint32_t>((uint64_t{1} << to) - (uint64_t{1} << from));
  }
  // One past the last of the repeats that directly follow packet `first`.
  static unsigned run_end(uint32_t repeat, unsigned first) {
    const auto after = static_cast<uint32_t>(uint64_t{repeat} >> (first + 1));
    return first + 1 + static_cast<unsigned>(std::countr_one(after));
  }
};

// Fills stage.keys[i] from the packet; false (packet dropped) if it does not
// parse.
template <class Sink>
inline bool key_packet(BurstStage& s, unsigned i, rte_mbuf* m, uint16_t in_port, Sink& sink) {
  const ParseStatus st = extract_flow_key(m, in_port, s.keys[i]);
  if (st != ParseStatus::ok) {
    sink.drop(m, m->pkt_len < RTE_ETHER_HDR_LEN ? DropReason::runt
                 : st == ParseStatus::truncated ? DropReason::truncated
                                                : DropReason::bad_header);
    s.live &= ~(1u << i);
    return false;
  }
  s.keyed |= 1u << i;
  return true;
}

// Whether the outputs noted are all one port (>= 0): their AND equals
// their OR.
struct SameOutput {
  int32_t all = -1, any = 0;
  void note(int32_t output) {
    all &= output;
    any |= output;
  }
  int32_t port() const { return all == any ? all : -1; }
};

// Looks the packets of `looks` up in `cache`, `key_of(i)` being packet i's
// key: first in their first slots (prefetched with the hash), then, with
// their second slots prefetched together, the packets that missed there.
// Fills sole (or paths) of every hit, prefetches the counter it will
// update and notes its output; returns the packets that missed.
template <class Cache, class KeyOf>
inline uint32_t look_up(const Cache& cache, uint32_t looks, const KeyOf& key_of, BurstStage& s,
                        const FlowWorker& w, uint64_t generation, SameOutput& outputs) {
  auto take = [&](unsigned i, unsigned slot) {
    s.sole[i] = cache.sole(static_cast<int>(slot));
    if (s.sole[i].rule == nullptr) cache.path(static_cast<int>(slot), s.paths[i]);
    w.prefetch_counter(s.sole[i].id);
    outputs.note(s.sole[i].output);
  };
  uint32_t second = 0, missed = 0;
  for (uint32_t look = looks; look != 0; look &= look - 1) {
    const auto i = static_cast<unsigned>(std::countr_zero(look));
    const unsigned slot = cache.first_slot(s.hashes[i]);
    if (cache.holds(slot, key_of(i), generation)) {
      take(i, slot);
    } else {
      cache.prefetch(cache.second_slot(s.hashes[i]));
      second |= 1u << i;
    }
  }
  for (uint32_t look = second; look != 0; look &= look - 1) {
    const auto i = static_cast<unsigned>(std::countr_zero(look));
    const unsigned slot = cache.second_slot(s.hashes[i]);
    if (cache.holds(slot, key_of(i), generation))
      take(i, slot);
    else
      missed |= 1u << i;
  }
  return missed;
}

// Looks up every live packet that does not repeat its predecessor in its
// cache, resolves the misses together (table 0 with bulk hash lookups) and
// inserts them.
template <class Sink>
inline void resolve_stage(BurstStage& s, FlowWorker& w, const PipelineVersion& v,
                          rte_mbuf* const* batch, uint16_t in_port, Sink& sink) {
  FlowKey walks[BurstStage::kMax];
  FlowKey* miss_keys[BurstStage::kMax];
  FlowPath* miss_paths[BurstStage::kMax];
  uint8_t missed[BurstStage::kMax];
  unsigned misses = 0;
  SameOutput outputs;
  auto note_miss = [&](unsigned i) {
    walks[misses] = s.keys[i];
    miss_keys[misses] = &walks[misses];
    miss_paths[misses] = &s.paths[i];
    missed[misses++] = static_cast<uint8_t>(i);
  };
  const uint32_t sig_looks = s.live & ~s.repeat & s.common & ~uint32_t{s.carried};
  const uint32_t key_looks = s.live & ~s.common;
  if (s.carried) outputs.note(s.sole[0].output);
  const uint32_t sig_missed = look_up(
      w.signature_emc, sig_looks, [&](unsigned i) -> const HeaderSignature& { return s.sigs[i]; },
      s, w, v.generation, outputs);
  uint32_t key_missed = 0;  // no call when there is nothing to look up (common frames only)
  if (key_looks != 0) {
    key_missed = look_up(
        w.key_emc, key_looks, [&](unsigned i) { return ArrivalKey(s.keys[i]); }, s, w, v.generation,
        outputs);
  }
  for (uint32_t m = sig_missed; m != 0; m &= m - 1) {
    const auto i = static_cast<unsigned>(std::countr_zero(m));
    if (key_packet(s, i, batch[i], in_port, sink)) note_miss(i);
  }
  for (uint32_t m = key_missed; m != 0; m &= m - 1)
    note_miss(static_cast<unsigned>(std::countr_zero(m)));
  if (misses > 0) {
    resolve_paths(v, miss_keys, misses, miss_paths);
    for (unsigned k = 0; k < misses; ++k) {
      const unsigned i = missed[k];
      const FlowPath& p = s.paths[i];
      s.sole[i] = SoleRule::of(p);
      outputs.note(s.sole[i].output);
      if (BurstStage::has(s.common, i)) {
        if (w.signature_emc.admit())
          w.signature_emc.insert(s.sigs[i], s.hashes[i], v.generation, p);
      } else if (w.key_emc.admit()) {
        w.key_emc.insert(ArrivalKey(s.keys[i]), s.hashes[i], v.generation, p);
      }
    }
  }
  s.sole_output = outputs.port();
  const auto sig_lookups = static_cast<unsigned>(std::popcount(sig_looks));
  const auto key_lookups = static_cast<unsigned>(std::popcount(key_looks));
  const auto sig_misses = static_cast<unsigned>(std::popcount(sig_missed));
  const auto key_misses = static_cast<unsigned>(std::popcount(key_missed));
  w.signature_emc.account(sig_lookups, sig_lookups - sig_misses);
  w.key_emc.account(key_lookups, key_lookups - key_misses);
  const unsigned repeats = static_cast<unsigned>(std::popcount(s.repeat & s.live)) + s.carried;
  const unsigned packets = static_cast<unsigned>(std::popcount(s.live));
  FlowWorker::add(w.stats.packets, packets);
  FlowWorker::add(w.stats.emc_hits, sig_lookups - sig_misses + key_lookups - key_misses + repeats);
  FlowWorker::add(w.stats.emc_misses, misses);
}

}  // namespace detail

// Runs `n` packets received on `in_port` through the pipeline; each ends in
// exactly one Sink call (see flow_actions.h); a frame shorter than an
// Ethernet header is dropped as a runt. In stages of up to 32 packets:
// read every packet's HeaderSignature (or, for a frame that is not common,
// parse its FlowKey), hash it and prefetch its first cache slot, look
// every packet up (a packet whose signature equals its predecessor's, and
// the packets after it that match its CommonFrameImage, take its path
// without a lookup, and so do a stage's first packets that match the run
// the worker's previous stage ended with: FlowWorker::open_run), resolve
// the misses together, then act, in arrival order. The memory loads of
// different packets overlap; process_burst prefetches the packet data.
// Returns the packets' bytes (pkt_len summed), for the input port's
// counters. `pkts` may be rewritten (Sink::output_run may).
template <class Sink>
inline uint64_t process_burst(FlowWorker& w, const PipelineVersion& v, rte_mbuf** pkts, uint16_t n,
                              uint16_t in_port, uint64_t now, Sink& sink) {
  using detail::BurstStage;
  constexpr unsigned kPrefetchAhead = 4;
  BurstStage s;
  uint64_t total_bytes = 0;
  for (uint16_t base = 0; base < n; base += BurstStage::kMax) {
    const unsigned count = std::min<unsigned>(BurstStage::kMax, n - base);
    rte_mbuf** batch = pkts + base;
    const uint32_t whole = count == 32 ? ~0u : (1u << count) - 1;  // every packet of the stage
    s.live = whole;
    s.keyed = 0;
    // Packet data is loaded kPrefetchAhead packets ahead of the signature
    // reads; a run's repeats are cheap enough for the CPU to overlap their
    // loads unaided.
    auto prefetch_data = [&](unsigned i) {
      if (i < count) rte_prefetch0(rte_pktmbuf_mtod(batch[i], const void*));
    };
    // In locals, not in `s`: the compiler cannot tell them from packet
    // fields the loop reads, and would store them on every packet.
    uint32_t uncommon = 0, repeat = 0;
    uint64_t bytes_so_far = 0;
    // Of packet i - 1; all zero when it is not common, which no common
    // frame's signature is (its IP protocol byte is not 0).
    HeaderSignature prev{};
    uint32_t prev_hash = 0;
    // The stage's packets from 0 that continue the worker's open run.
    unsigned i = 0;
    s.carried = false;
    if (w.open_run.continues_at(v.generation, in_port)) {
      const CommonFrameImage& image = w.open_run.image;
      i = image.first_mismatch(batch, 0, count);
      if (i > 0) {
        s.carried = true;
        s.sole[0] = w.open_run.sole;
        s.bytes_before[0] = 0;
        bytes_so_far = uint64_t{i} * image.pkt_len();
        repeat = BurstStage::packets(1, i);
      }
    }
    const bool open_run_goes_on = i == count;  // the open run covers the stage
    for (unsigned k = 0; k < kPrefetchAhead; ++k) prefetch_data(i + k);
    // The packet the latest repeats repeat: the first of their run, the one
    // looked up. A run is one signature, which frames of different lengths
    // share, so it may be several images' repeats.
    unsigned head = 0;
    while (i < count) {
      prefetch_data(i + kPrefetchAhead);
      rte_mbuf* const m = batch[i];
      s.bytes_before[i] = bytes_so_far;
      bytes_so_far += m->pkt_len;
      HeaderSignature sig;
      if (!header_signature(m, in_port, sig)) {
        uncommon |= 1u << i;
        prev = HeaderSignature{};
        ++i;
        continue;
      }
      const uint32_t hash = sig.hash();
      if (!(hash == prev_hash && sig == prev)) {
        s.sigs[i] = sig;
        s.hashes[i] = hash;
        w.signature_emc.prefetch(w.signature_emc.first_slot(hash));
        prev = sig;
        prev_hash = hash;
        head = i;
        ++i;
        continue;
      }
      // Packet i has packet i - 1's signature: it repeats `head`, and so do
      // the packets after it that match its image, which is cheaper than
      // reading a signature. Only a run's first and end packets need
      // bytes_before.
      const CommonFrameImage image(m);
      const unsigned end = image.first_mismatch(batch, i + 1, count);
      bytes_so_far += uint64_t{end - i - 1} * image.pkt_len();  // all of the image's length
      repeat |= BurstStage::packets(i, end);
      i = end;
    }
    s.bytes_before[count] = bytes_so_far;
    total_bytes += bytes_so_far;
    s.common = whole & ~uncommon;  // repeats included
    s.repeat = repeat;
    for (uint32_t look = s.live & ~s.common; look != 0; look &= look - 1) {
      const auto i = static_cast<unsigned>(std::countr_zero(look));
      if (detail::key_packet(s, i, batch[i], in_port, sink)) {
        s.hashes[i] = ArrivalKey(s.keys[i]).hash();
        w.key_emc.prefetch(w.key_emc.first_slot(s.hashes[i]));
      }
    }
    detail::resolve_stage(s, w, v, batch, in_port, sink);
    if (!open_run_goes_on) {
      // The stage ends in a run when its last packet is a repeat (not one
      // of the open run's: that run did not cover the stage); `head` is
      // that run's first packet.
      if (BurstStage::has(repeat, count - 1) && BurstStage::has(s.live, head) &&
          s.sole[head].rule != nullptr) {
        // Its image is its last frame's, a repeat.
        w.open_run = {CommonFrameImage(batch[count - 1]), s.sole[head], v.generation, in_port};
      } else {
        w.open_run.generation = 0;
      }
    }
    // Act, in arrival order, a run at a time: a run is a packet that was
    // looked up and the repeats after it, which share its path. Runs of
    // one-rule paths that just output are counted per run of the same rule
    // and handed over per stretch of the batch bound for the same port
    // (Sink::output_run when there is one); when every packet of the stage
    // takes such a path to the same port, the stage is one stretch.
    uint32_t run_rule = 0, run_packets = 0;
    uint64_t run_bytes = 0;
    int32_t out_port = -1;
    unsigned out_first = 0, out_n = 0;  // the stretch batch[out_first, +out_n)
    uint64_t out_bytes = 0;             // its packets' bytes
    auto hand_over = [&] {
      if (out_n == 0) return;
      const auto port = static_cast<uint16_t>(out_port);
      const auto n_out = static_cast<uint16_t>(out_n);
      if constexpr (requires { sink.output_run(port, batch, n_out, out_bytes); }) {
        sink.output_run(port, batch + out_first, n_out, out_bytes);
      } else {
        for (unsigned k = 0; k < out_n; ++k) sink.output(port, batch[out_first + k]);
      }
      out_n = 0;
      out_bytes = 0;
    };
    auto count_run = [&](uint32_t rule_id, unsigned packets, uint64_t bytes) {
      if (rule_id != run_rule || run_packets == 0) {
        if (run_packets > 0) w.count(run_rule, run_packets, run_bytes, now);
        run_rule = rule_id;
        run_packets = 0;
        run_bytes = 0;
      }
      run_packets += packets;
      run_bytes += bytes;
    };
    uint32_t general_starts = s.live & ~s.repeat;  // the runs the loop below acts on
    if (s.sole_output >= 0 && s.live == whole) {
      // Every packet leaves by one port under a one-rule path: only the
      // counting is per run (per packet when nothing repeats), the batch is
      // handed over whole.
      if (s.repeat == 0) {
        for (unsigned i = 0; i < count; ++i)
          w.count(s.sole[i].id, 1, s.bytes_before[i + 1] - s.bytes_before[i], now);
      } else {
        for (uint32_t starts = general_starts; starts != 0; starts &= starts - 1) {
          const auto first = static_cast<unsigned>(std::countr_zero(starts));
          const unsigned end = BurstStage::run_end(s.repeat, first);
          count_run(s.sole[first].id, end - first, s.bytes_before[end] - s.bytes_before[first]);
        }
      }
      out_port = s.sole_output;
      out_n = count;
      out_bytes = s.bytes_before[count];
      general_starts = 0;
    }
    for (uint32_t starts = general_starts; starts != 0; starts &= starts - 1) {
      const auto first = static_cast<unsigned>(std::countr_zero(starts));
      const unsigned end = BurstStage::run_end(s.repeat, first);
      const SoleRule sole = s.sole[first];
      if (sole.output >= 0) {  // the common case
        const uint64_t bytes = s.bytes_before[end] - s.bytes_before[first];
        count_run(sole.id, end - first, bytes);
        if (sole.output != out_port || first != out_first + out_n) {
          hand_over();
          out_port = sole.output;
          out_first = first;
        }
        out_n += end - first;
        out_bytes += bytes;
        continue;
      }
      hand_over();  // what this run outputs comes after them
      FlowPath& path = s.paths[first];
      if (sole.rule != nullptr) {
        path.n = 1;
        path.missed = false;
        path.rules[0] = sole.rule;
      }
      for (unsigned i = first; i < end; ++i) {
        // Group select hashes the arrival key: parse it if only the
        // signature was read.
        if (!BurstStage::has(s.keyed, i) && !detail::key_packet(s, i, batch[i], in_port, sink))
          continue;
        execute_path(path, batch[i], s.keys[i], w, v, now, sink);
      }
    }
    hand_over();
    if (run_packets > 0) w.count(run_rule, run_packets, run_bytes, now);
  }
  return total_bytes;
}

// One packet: process_burst() of a burst of one.
template <class Sink>
inline void process_packet(FlowWorker& w, const PipelineVersion& v, rte_mbuf* m, uint16_t in_port,
                           uint64_t now, Sink& sink) {
  process_burst(w, v, &m, 1, in_port, now, sink);
}

}  // namespace sluice
