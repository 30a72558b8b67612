// FlowRule: a rule as the data path sees it, compiled from the rule model.
//
// Versioning (as in OVS's classifier): a rule is visible to packets of
// pipeline generation G when added_gen <= G < removed_gen. A transaction
// inserts its new rules with added_gen = G+1 and marks the rules it removes
// with removed_gen = G+1 while readers still run G, then publishes G+1 with
// one release store: readers see all of the transaction or none of it.
//
// Thread-safety: created, modified (removed_gen only) and freed by the control
// thread; forwarding workers read it between two quiescent states. Freed only
// after a grace period that follows its removal from every published version.
#pragma once

#include <atomic>
#include <cstdint>
#include <limits>

#include "common/rules/action.h"
#include "common/rules/rule.h"
#include "dataplane/flow/flow_key.h"

namespace sluice {

inline constexpr uint64_t kNeverRemoved = std::numeric_limits<uint64_t>::max();

struct FlowRule {
  // Hot: read for every classified packet (first cache line).
  uint16_t priority = 0;
  uint8_t table = 0;
  uint8_t n_outputs = 0;    // actions that hand the packet somewhere
  int16_t goto_table = -1;  // -1: none (the last action otherwise)
  bool edits_key = false;   // set_field / metadata / reg / vlan actions
  bool src_range = false, dst_range = false;
  uint16_t src_lo = 0, src_hi = 0, dst_lo = 0, dst_hi = 0;
  uint32_t id = 0;  // stable counter slot; kept by modify, new for add
  uint32_t n_actions = 0;
  int32_t sole_output = -1;         // the port when the actions are just output:N
  const Action* actions = nullptr;  // rule.actions.data()
  uint64_t seq = 0;                 // insertion order: breaks priority ties (older wins)
  uint64_t added_gen = 0;           // visibility window [added_gen, removed_gen)
  std::atomic<uint64_t> removed_gen{kNeverRemoved};
  uint64_t cookie = 0;

  // Compiled match: the masked key lives in the subtable; L4 port ranges
  // (above) are checked on the candidates (tp_src / tp_dst of the key).
  FlowKey mask{};
  FlowKey value{};  // already masked

  // Control side bookkeeping (read only by the control thread).
  Rule rule;
  uint64_t install_tsc = 0;

  bool visible(uint64_t gen) const {
    return added_gen <= gen && gen < removed_gen.load(std::memory_order_relaxed);
  }
  bool ranges_match(const FlowKey& k) const {
    return (!src_range || (k.tp_src >= src_lo && k.tp_src <= src_hi)) &&
           (!dst_range || (k.tp_dst >= dst_lo && k.tp_dst <= dst_hi));
  }
  // Strict order of the classifier: higher priority, then older.
  bool beats(const FlowRule& o) const {
    return priority != o.priority ? priority > o.priority : seq < o.seq;
  }
};

// Fills the compiled parts of `r` from `r.rule` (match -> mask/value/ranges,
// action summary). Control thread; r.rule must not change afterwards.
inline void compile_flow_rule(FlowRule& r) {
  const Rule& m = r.rule;
  r.priority = m.priority;
  r.table = m.table;
  r.cookie = m.cookie;
  r.mask.clear();
  r.value.clear();
  r.src_range = r.dst_range = false;
  for (uint64_t present = m.match.present_bits(); present != 0; present &= present - 1) {
    Field f = static_cast<Field>(__builtin_ctzll(present));
    const FieldMatch& fm = m.match.get(f);
    if (fm.range) {
      bool src = key_slot(f).offset == offsetof(FlowKey, tp_src);
      (src ? r.src_range : r.dst_range) = true;
      (src ? r.src_lo : r.dst_lo) = fm.lo;
      (src ? r.src_hi : r.dst_hi) = fm.hi;
      continue;
    }
    key_or(r.mask, f, fm.mask);
    key_or(r.value, f, fm.value);
  }
  r.actions = m.actions.data();
  r.n_actions = static_cast<uint32_t>(m.actions.size());
  r.sole_output = m.actions.size() == 1 && m.actions[0].type == ActionType::output
                      ? static_cast<int32_t>(m.actions[0].arg)
                      : -1;
  r.goto_table = -1;
  r.n_outputs = 0;
  r.edits_key = false;
  for (const Action& a : m.actions) {
    if (is_destination(a.type)) ++r.n_outputs;
    switch (a.type) {
      case ActionType::goto_table:
        r.goto_table = static_cast<int16_t>(a.arg);
        break;
      case ActionType::set_field:
      case ActionType::write_metadata:
      case ActionType::set_reg:
      case ActionType::push_vlan:
      case ActionType::pop_vlan:
        r.edits_key = true;
        break;
      default:
        break;
    }
  }
}

}  // namespace sluice
