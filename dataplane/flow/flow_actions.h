// Action execution over a packet, and the Sink contract between the flow
// pipeline and the forwarding worker.
//
// Sink contract. The worker supplies a Sink with these non-virtual methods:
//
//   void output(uint16_t port_no, rte_mbuf* m);   // send on a port
//   void flood(rte_mbuf* m);                      // every port but the input
//   void normal(rte_mbuf* m);                     // MAC-learning L2 switch
//   void controller(rte_mbuf* m, uint8_t table, uint64_t cookie);  // packet-in
//   void nf(uint32_t instance, rte_mbuf* m, const NfContinuation& next);
//                                                 // to a network function
//   void drop(rte_mbuf* m, DropReason why);       // count and free
//   rte_mbuf* copy(const rte_mbuf* m);            // deep, writable copy or nullptr
//
// and may have
//
//   void output_run(uint16_t port_no, rte_mbuf** pkts, uint16_t n,
//                   uint64_t bytes);              // output() of each, in order;
//                                                 // bytes: their pkt_len summed;
//                                                 // may rewrite pkts[0, n)
//
// Every method that receives an mbuf takes ownership of it: it must send,
// queue, hand on or free it. Every packet given to the pipeline ends in
// exactly one of output/flood/normal/controller/nf/drop. When an action list
// hands a packet to several places (output:1,output:2; group all; flood and
// controller), the pipeline asks the Sink for copy() for every destination
// but the last, and gives the last one the original; a copy is deep (later
// header edits do not show in packets already handed over: OpenFlow
// apply-actions semantics). A failed copy skips that one destination and is
// counted in FlowWorkerStats::copy_failures (no packet exists to drop).
// None of the methods may block, throw or take a lock.
//
// nf suspends the packet: the Sink gets the original mbuf (never a copy; the
// nf action counts as one destination) and `next`, where the packet goes on
// if the NF forwards it: the rest of the action list holding the nf action,
// then, if that list was a rule's, the actions of the path's later rules and
// the miss behaviour. The Sink keeps its own copy of `next` and of
// *next.path (their rule and action pointers point into the PipelineVersion,
// valid until the worker's quiescent state) and calls resume_after_nf() for
// each packet the NF forwards.
//
// Thread-safety: runs on the forwarding worker that owns the FlowWorker, the
// mbufs and the Sink, between two quiescent states.
#pragma once

#include <rte_meter.h>

#include <cstdint>

#include "dataplane/flow/flow_worker.h"
#include "dataplane/flow/packet_edit.h"
#include "dataplane/stats/drop_reason.h"

namespace sluice {

// The packet being executed and how many destinations are still to come.
struct ActionState {
  rte_mbuf* m;            // nullptr once handed over or dropped
  unsigned outputs_left;  // destinations still to come in the whole path
  uint8_t table = 0;      // of the rule being executed (packet-in reason)
  uint64_t cookie = 0;
  uint64_t now = 0;                  // TSC, for meters and counters
  const FlowPath* path = nullptr;    // the path whose rule is executing; nullptr in a group bucket
  uint8_t rule = 0;                  // index in path of that rule
  const Action* list_end = nullptr;  // end of the action list being executed
};

// Where a packet handed to an NF continues (see the Sink contract above).
// `path` points at the caller's FlowPath, valid only during Sink::nf: a Sink
// that keeps the continuation copies *path and re-points `path` at the copy.
struct NfContinuation {
  const Action* next = nullptr;  // rest of the list holding the nf action
  const Action* end = nullptr;
  const FlowPath* path = nullptr;  // the list was path->rules[rule]'s; nullptr: a group bucket's
  uint8_t rule = 0;
  unsigned outputs_left = 0;  // destinations after the nf action
  uint8_t table = 0;
  uint64_t cookie = 0;
  uint64_t now = 0;
  // >= 0: the packet was sent to this port by an earlier NF of the list
  // (GateOutput::send); only the list's later nf actions still apply, then
  // it leaves by that port (dataplane/nf/nf_stage.h). path is nullptr.
  int32_t send_port = -1;

  // Whether two packets continue the same way (so they may share an NF batch).
  bool same_as(const NfContinuation& o) const {
    if (next != o.next || outputs_left != o.outputs_left || send_port != o.send_port ||
        (path == nullptr) != (o.path == nullptr))
      return false;
    if (path == nullptr) return true;
    const FlowPath& a = *path;
    const FlowPath& b = *o.path;
    if (rule != o.rule || a.n != b.n || a.missed != b.missed) return false;
    for (unsigned i = rule + 1u; i < a.n; ++i)
      if (a.rules[i] != b.rules[i]) return false;
    return !a.missed || (a.miss_table == b.miss_table && a.miss == b.miss);
  }
};

namespace detail {

// The packet for the next destination: the original for the last one, a copy
// before. nullptr if the copy failed (counted).
template <class Sink>
inline rte_mbuf* take(ActionState& st, FlowWorker& w, Sink& sink) {
  if (st.outputs_left > 0) --st.outputs_left;
  if (st.outputs_left == 0) {
    rte_mbuf* m = st.m;
    st.m = nullptr;
    return m;
  }
  rte_mbuf* c = sink.copy(st.m);
  if (c == nullptr) FlowWorker::bump(w.stats.copy_failures);
  return c;
}

inline unsigned count_outputs(const ActionList& actions) {
  unsigned n = 0;
  for (const Action& a : actions) n += is_destination(a.type) ? 1 : 0;
  return n;
}

inline uint32_t five_tuple_hash(const FlowKey& k) {
  uint32_t h = rte_hash_crc(k.nw_src, 32, k.ip_proto);
  return rte_hash_crc_4byte(static_cast<uint32_t>(k.tp_src) << 16 | k.tp_dst, h);
}

}  // namespace detail

template <class Sink>
inline void execute_actions(const Action* actions, size_t n, ActionState& st, FlowWorker& w,
                            const PipelineVersion& v, const FlowKey& key, Sink& sink);

namespace detail {

// Runs a group bucket on its own packet `m` (an original or a copy).
template <class Sink>
inline void run_bucket(const ActionList& bucket, rte_mbuf* m, const ActionState& parent,
                       FlowWorker& w, const PipelineVersion& v, const FlowKey& key, Sink& sink) {
  ActionState st{m, count_outputs(bucket), parent.table, parent.cookie, parent.now};
  execute_actions(bucket.data(), bucket.size(), st, w, v, key, sink);
  if (st.m != nullptr) sink.drop(st.m, DropReason::action_drop);
}

template <class Sink>
inline void run_group(const GroupDef& g, ActionState& st, FlowWorker& w, const PipelineVersion& v,
                      const FlowKey& key, Sink& sink) {
  if (g.buckets.empty()) {
    rte_mbuf* m = take(st, w, sink);
    if (m != nullptr) sink.drop(m, DropReason::action_drop);
    return;
  }
  if (g.type == GroupType::select) {
    const ActionList& b = g.buckets[five_tuple_hash(key) % g.buckets.size()];
    rte_mbuf* m = take(st, w, sink);
    if (m != nullptr) run_bucket(b, m, st, w, v, key, sink);
    return;
  }
  // all: a copy per bucket; the last bucket gets what take() gives.
  for (size_t i = 0; i + 1 < g.buckets.size(); ++i) {
    rte_mbuf* c = sink.copy(st.m);
    if (c == nullptr) {
      FlowWorker::bump(w.stats.copy_failures);
      continue;
    }
    run_bucket(g.buckets[i], c, st, w, v, key, sink);
  }
  rte_mbuf* m = take(st, w, sink);
  if (m != nullptr) run_bucket(g.buckets.back(), m, st, w, v, key, sink);
}

template <class Sink>
inline bool stop(ActionState& st, Sink& sink, DropReason why) {
  sink.drop(st.m, why);
  st.m = nullptr;
  return false;
}

// One action; false when the packet is gone (dropped) and the list must stop.
template <class Sink>
inline bool execute_one(const Action& a, ActionState& st, FlowWorker& w, const PipelineVersion& v,
                        const FlowKey& key, Sink& sink) {
  namespace pe = packet_edit;
  if (st.m == nullptr) return false;
  switch (a.type) {
    case ActionType::output:
      if (rte_mbuf* m = take(st, w, sink)) sink.output(static_cast<uint16_t>(a.arg), m);
      break;
    case ActionType::flood:
      if (rte_mbuf* m = take(st, w, sink)) sink.flood(m);
      break;
    case ActionType::normal:
      if (rte_mbuf* m = take(st, w, sink)) sink.normal(m);
      break;
    case ActionType::controller:
      if (rte_mbuf* m = take(st, w, sink)) {
        if (m->pkt_len > a.arg) rte_pktmbuf_trim(m, static_cast<uint16_t>(m->pkt_len - a.arg));
        sink.controller(m, st.table, st.cookie);
      }
      break;
    case ActionType::nf: {
      if (st.outputs_left > 0) --st.outputs_left;
      const NfContinuation next{&a + 1,          st.list_end, st.path,   st.rule,
                                st.outputs_left, st.table,    st.cookie, st.now};
      rte_mbuf* m = st.m;
      st.m = nullptr;
      sink.nf(a.arg, m, next);
      return false;
    }
    case ActionType::group: {
      const GroupDef* g = v.find_group(a.arg);
      if (g == nullptr) {
        if (rte_mbuf* m = take(st, w, sink)) sink.drop(m, DropReason::no_group);
        break;
      }
      run_group(*g, st, w, v, key, sink);
      break;
    }
    case ActionType::meter: {
      const MeterRef* mr = v.find_meter(a.arg);
      if (mr == nullptr) return stop(st, sink, DropReason::no_meter);
      rte_color c = rte_meter_srtcm_color_blind_check(
          &w.meter(*mr), const_cast<rte_meter_srtcm_profile*>(&mr->profile), st.now, st.m->pkt_len);
      if (c == RTE_COLOR_RED) return stop(st, sink, DropReason::meter);
      break;
    }
    case ActionType::set_field: {
      bool ok = true;
      switch (a.field) {
        case Field::eth_src:
        case Field::eth_dst:
          ok = pe::set_eth(st.m, a.field == Field::eth_dst, static_cast<uint64_t>(a.value));
          break;
        case Field::ipv4_src:
        case Field::ipv4_dst:
          ok = pe::set_ipv4(st.m, a.field == Field::ipv4_dst, static_cast<uint32_t>(a.value));
          break;
        case Field::ipv6_src:
        case Field::ipv6_dst: {
          uint8_t addr[16];
          for (int i = 0; i < 16; ++i) addr[i] = static_cast<uint8_t>(a.value >> (8 * (15 - i)));
          ok = pe::set_ipv6(st.m, a.field == Field::ipv6_dst, addr);
          break;
        }
        case Field::ip_dscp:
          ok = pe::set_dscp(st.m, static_cast<uint8_t>(a.value));
          break;
        case Field::tcp_src:
        case Field::tcp_dst:
          ok = pe::set_port(st.m, IPPROTO_TCP, a.field == Field::tcp_dst,
                            static_cast<uint16_t>(a.value));
          break;
        case Field::udp_src:
        case Field::udp_dst:
          ok = pe::set_port(st.m, IPPROTO_UDP, a.field == Field::udp_dst,
                            static_cast<uint16_t>(a.value));
          break;
        case Field::sctp_src:
        case Field::sctp_dst:
          ok = pe::set_port(st.m, IPPROTO_SCTP, a.field == Field::sctp_dst,
                            static_cast<uint16_t>(a.value));
          break;
        case Field::vlan_vid:
          ok = pe::set_tci(st.m, 0x0fff, static_cast<uint16_t>(a.value));
          break;
        case Field::vlan_pcp:
          ok = pe::set_tci(st.m, 0xe000, static_cast<uint16_t>(a.value << 13));
          break;
        default:
          break;  // registers and metadata live in the key only
      }
      if (!ok) return stop(st, sink, DropReason::unsupported);
      break;
    }
    case ActionType::push_vlan:
      if (!pe::push_vlan(st.m, static_cast<uint16_t>(a.arg)))
        return stop(st, sink, DropReason::unsupported);
      break;
    case ActionType::pop_vlan:
      if (!pe::pop_vlan(st.m)) return stop(st, sink, DropReason::unsupported);
      break;
    case ActionType::dec_ttl:
      switch (pe::dec_ttl(st.m)) {
        case pe::TtlResult::ok:
          break;
        case pe::TtlResult::expired:
          return stop(st, sink, DropReason::ttl_expired);
        case pe::TtlResult::unsupported:
          return stop(st, sink, DropReason::unsupported);
      }
      break;
    default:
      break;  // drop, goto_table, write_metadata, set_reg: nothing on the packet
  }
  return st.m != nullptr;
}

}  // namespace detail

// Applies `actions` in order to st.m. Destinations take copies while
// st.outputs_left says more are to come; the packet may be consumed
// (st.m == nullptr afterwards). Data path: no heap, no throw.
template <class Sink>
inline void execute_actions(const Action* actions, size_t n, ActionState& st, FlowWorker& w,
                            const PipelineVersion& v, const FlowKey& key, Sink& sink) {
  st.list_end = actions + n;
  for (size_t i = 0; i < n; ++i)
    if (!detail::execute_one(actions[i], st, w, v, key, sink)) return;
}

namespace detail {

// Runs the actions of path.rules[first..n), then the miss behaviour; a packet
// no action handed over is dropped as action_drop (or no_match on a "drop"
// miss).
template <class Sink>
inline void finish_path(const FlowPath& path, unsigned first, ActionState& st, FlowWorker& w,
                        const PipelineVersion& v, const FlowKey& key, Sink& sink) {
  st.path = &path;
  for (unsigned i = first; i < path.n && st.m != nullptr; ++i) {
    const FlowRule* r = path.rules[i];
    st.table = r->table;
    st.cookie = r->cookie;
    st.rule = static_cast<uint8_t>(i);
    execute_actions(r->actions, r->n_actions, st, w, v, key, sink);
  }
  if (st.m == nullptr) return;
  if (!path.missed) {
    sink.drop(st.m, DropReason::action_drop);
    return;
  }
  st.table = path.miss_table;
  st.cookie = 0;
  switch (path.miss.kind) {
    case MissKind::normal:
      if (rte_mbuf* p = take(st, w, sink)) sink.normal(p);
      break;
    case MissKind::controller:
      if (rte_mbuf* p = take(st, w, sink)) sink.controller(p, st.table, 0);
      break;
    default:
      break;
  }
  if (st.m != nullptr) sink.drop(st.m, DropReason::no_match);
}

}  // namespace detail

// Executes a resolved path on packet `m` (which it consumes): counts every
// matched rule, runs each rule's actions in table order, then the miss
// behaviour if the walk ended in a miss; a packet no action handed over is
// dropped as action_drop (or no_match on a "drop" miss).
template <class Sink>
inline void execute_path(const FlowPath& path, rte_mbuf* m, const FlowKey& key, FlowWorker& w,
                         const PipelineVersion& v, uint64_t now, Sink& sink) {
  if (path.n == 1 && !path.missed && path.rules[0]->sole_output >= 0) {  // the common case
    w.count(path.rules[0]->id, m->pkt_len, now);
    sink.output(static_cast<uint16_t>(path.rules[0]->sole_output), m);
    return;
  }
  ActionState st{m, 0, 0, 0, now};
  const uint32_t bytes = m->pkt_len;
  for (unsigned i = 0; i < path.n; ++i) {
    st.outputs_left += path.rules[i]->n_outputs;
    w.count(path.rules[i]->id, bytes, now);
  }
  st.outputs_left += path.missed && path.miss.kind != MissKind::drop ? 1 : 0;
  detail::finish_path(path, 0, st, w, v, key, sink);
}

// Continues packet `m`, which an NF forwarded, where `next` says; `key` is
// the packet's key as it is now (for group select). Rules are not counted
// again. Must run under the same PipelineVersion `v` as the nf action.
template <class Sink>
inline void resume_after_nf(const NfContinuation& next, rte_mbuf* m, const FlowKey& key,
                            FlowWorker& w, const PipelineVersion& v, Sink& sink) {
  ActionState st{m, next.outputs_left, next.table, next.cookie, next.now};
  st.path = next.path;
  st.rule = next.rule;
  execute_actions(next.next, static_cast<size_t>(next.end - next.next), st, w, v, key, sink);
  if (st.m == nullptr) return;
  if (next.path != nullptr)
    return detail::finish_path(*next.path, next.rule + 1u, st, w, v, key, sink);
  sink.drop(st.m, DropReason::action_drop);
}

}  // namespace sluice
