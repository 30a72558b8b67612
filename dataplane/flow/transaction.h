// Transaction: a batch of flow-table changes that Pipeline::commit() applies
// all-or-nothing and makes visible to packets atomically.
//
// Semantics follow OpenFlow 1.3 flow-mod:
//  - add: inserts; a rule with the same table, priority and match is
//    replaced (counters restart).
//  - modify (non-strict): replaces the actions of every rule of the table
//    whose match is at least as specific as the filter match (and whose cookie
//    matches under cookie_mask); modify_strict: the one rule with exactly that
//    table, priority and match. Counters, cookie and timeouts are kept. No
//    rule matched is not an error (nothing changes).
//  - remove / remove_strict: the same selection, deleting.
//  - set_miss, set_group/remove_group, set_meter/remove_meter.
// Operations apply in order: a later operation sees the earlier ones.
//
// Thread-safety: a plain value; build it anywhere, commit on the control
// thread.
#pragma once

#include <cstdint>
#include <vector>

#include "common/rules/rule.h"
#include "dataplane/flow/pipeline_version.h"

namespace sluice {

struct FlowMod {
  enum class Op : uint8_t {
    add,
    modify,
    modify_strict,
    remove,
    remove_strict,
    set_miss,
    set_group,
    remove_group,
    set_meter,
    remove_meter,
  };
  Op op = Op::add;
  Rule rule;                 // add: the rule; modify/remove: table, match, priority (strict),
                             // cookie (with cookie_mask) and, for modify, the new actions
  uint64_t cookie_mask = 0;  // 0: any cookie
  TableMiss miss;            // set_miss (table in rule.table)
  GroupDef group;            // set_group
  uint32_t id = 0;           // remove_group, set_meter, remove_meter
  MeterConfig meter;         // set_meter
};

class Transaction {
 public:
  Transaction& add(Rule r) {
    FlowMod m = make(FlowMod::Op::add);
    m.rule = std::move(r);
    return push(std::move(m));
  }
  Transaction& modify(Rule r, bool strict = false, uint64_t cookie_mask = 0) {
    FlowMod m = make(strict ? FlowMod::Op::modify_strict : FlowMod::Op::modify);
    m.rule = std::move(r);
    m.cookie_mask = cookie_mask;
    return push(std::move(m));
  }
  Transaction& remove(uint8_t table, Match match, bool strict = false,
                      uint16_t priority = kDefaultPriority, uint64_t cookie = 0,
                      uint64_t cookie_mask = 0) {
    FlowMod m = make(strict ? FlowMod::Op::remove_strict : FlowMod::Op::remove);
    m.rule.table = table;
    m.rule.match = std::move(match);
    m.rule.priority = priority;
    m.rule.cookie = cookie;
    m.cookie_mask = cookie_mask;
    return push(std::move(m));
  }
  Transaction& set_miss(uint8_t table, TableMiss miss) {
    FlowMod m = make(FlowMod::Op::set_miss);
    m.rule.table = table;
    m.miss = miss;
    return push(std::move(m));
  }
  Transaction& set_group(GroupDef g) {
    FlowMod m = make(FlowMod::Op::set_group);
    m.group = std::move(g);
    return push(std::move(m));
  }
  Transaction& remove_group(uint32_t id) {
    FlowMod m = make(FlowMod::Op::remove_group);
    m.id = id;
    return push(std::move(m));
  }
  Transaction& set_meter(uint32_t id, MeterConfig cfg) {
    FlowMod m = make(FlowMod::Op::set_meter);
    m.id = id;
    m.meter = cfg;
    return push(std::move(m));
  }
  Transaction& remove_meter(uint32_t id) {
    FlowMod m = make(FlowMod::Op::remove_meter);
    m.id = id;
    return push(std::move(m));
  }

  const std::vector<FlowMod>& ops() const { return ops_; }
  size_t size() const { return ops_.size(); }
  bool empty() const { return ops_.empty(); }

 private:
  static FlowMod make(FlowMod::Op op) {
    FlowMod m;
    m.op = op;
    return m;
  }
  Transaction& push(FlowMod m) {
    ops_.push_back(std::move(m));
    return *this;
  }
  std::vector<FlowMod> ops_;
};

}  // namespace sluice
