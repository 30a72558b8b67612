// PipelineVersion: one immutable, published state of the multi-table
// pipeline (what each table's subtables are, miss behaviour, groups, meters),
// and the table walk that turns a FlowKey into a FlowPath.
//
// Thread-safety: built by the control thread, published by Pipeline with a
// release store, read by forwarding workers until their next quiescent state,
// freed by the control thread a grace period after it was replaced.
#pragma once

#include <rte_meter.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "common/rules/rule.h"
#include "dataplane/flow/tuple_space_classifier.h"

namespace sluice {

enum class GroupType : uint8_t { all, select };

struct GroupDef {
  uint32_t id = 0;
  GroupType type = GroupType::all;
  std::vector<ActionList> buckets;  // no goto_table and no group inside buckets
};

// srTCM (RFC 2697), colour blind; red packets are dropped (DropReason::meter).
struct MeterConfig {
  uint64_t cir = 0;  // committed information rate, bytes per second
  uint64_t cbs = 0;  // committed burst size, bytes
  uint64_t ebs = 0;  // excess burst size, bytes (0: no yellow)
  bool operator==(const MeterConfig&) const = default;
};

struct MeterRef {
  uint32_t id;
  uint16_t slot;   // index of the per-worker meter state
  uint32_t epoch;  // changes when the config changes: workers re-init
  rte_meter_srtcm_profile profile;
};

inline constexpr unsigned kMaxMeters = 256;

struct PipelineVersion {
  struct Table {
    TableMiss miss;
    std::vector<SubtableRef> subtables;  // highest max priority first
  };
  uint64_t generation = 0;  // starts at 1; a stale cache entry has another
  std::array<Table, kMaxTables> tables;
  std::vector<std::shared_ptr<const GroupDef>> groups;  // sorted by id
  std::vector<MeterRef> meters;                         // sorted by id

  const GroupDef* find_group(uint32_t id) const {
    auto it = std::lower_bound(groups.begin(), groups.end(), id,
                               [](const auto& g, uint32_t i) { return g->id < i; });
    return it != groups.end() && (*it)->id == id ? it->get() : nullptr;
  }
  const MeterRef* find_meter(uint32_t id) const {
    auto it = std::lower_bound(meters.begin(), meters.end(), id,
                               [](const MeterRef& m, uint32_t i) { return m.id < i; });
    return it != meters.end() && it->id == id ? &*it : nullptr;
  }
};

// The rules a packet matched, table by table, and how the walk ended.
struct FlowPath {
  uint8_t n = 0;
  bool missed = false;  // the walk ended in a table miss
  uint8_t miss_table = 0;
  TableMiss miss;  // that table's miss behaviour (never goto_table)
  const FlowRule* rules[kMaxTables];
};

// Applies the key-visible effects of `actions` to `key`, so that a later
// table matches what the packet will look like.
inline void apply_key_effects(const Action* actions, size_t n, FlowKey& key) {
  for (size_t i = 0; i < n; ++i) {
    const Action& a = actions[i];
    switch (a.type) {
      case ActionType::set_field:
        if (a.field == Field::vlan_vid)
          key_set(key, Field::vlan_vid, a.value | kVlanPresent);
        else
          key_set(key, a.field, a.value);
        break;
      case ActionType::set_reg:
        key_set(key, a.field, a.value);
        break;
      case ActionType::write_metadata:
        key.metadata = (key.metadata & ~a.mask) | (static_cast<uint64_t>(a.value) & a.mask);
        break;
      case ActionType::push_vlan:
        key.vlan_tci |= kVlanPresent;
        break;
      case ActionType::pop_vlan:
        key.vlan_tci = 0;
        break;
      default:
        break;
    }
  }
}

// Data path. Continues a walk at table `t`, whose lookup result is `r`:
// apply key effects, follow goto_table or the miss behaviour, look up the
// next tables. `key` is updated in place; `path` must be empty or hold the
// rules of the tables before `t`.
inline void resolve_path_from(const PipelineVersion& v, unsigned t, const FlowRule* r, FlowKey& key,
                              FlowPath& path) {
  for (;;) {
    const PipelineVersion::Table& table = v.tables[t];
    if (r == nullptr) {
      if (table.miss.kind == MissKind::goto_table) {
        t = table.miss.next_table;
      } else {
        path.missed = true;
        path.miss_table = static_cast<uint8_t>(t);
        path.miss = table.miss;
        return;
      }
    } else {
      path.rules[path.n++] = r;
      if (r->edits_key) apply_key_effects(r->actions, r->n_actions, key);
      if (r->goto_table < 0) return;
      t = static_cast<unsigned>(r->goto_table);
    }
    const PipelineVersion::Table& next = v.tables[t];
    r = TupleSpaceClassifier::lookup(next.subtables.data(), next.subtables.size(), key,
                                     v.generation);
  }
}

// Data path. Walks the tables from table 0: match, apply key effects, follow
// goto_table or the miss behaviour. `key` is updated in place.
inline void resolve_path(const PipelineVersion& v, FlowKey& key, FlowPath& path) {
  path.n = 0;
  path.missed = false;
  const PipelineVersion::Table& first = v.tables[0];
  resolve_path_from(v, 0,
                    TupleSpaceClassifier::lookup(first.subtables.data(), first.subtables.size(),
                                                 key, v.generation),
                    key, path);
}

// Data path. resolve_path() for `count` keys (at most
// TupleSpaceClassifier::kBulk), table 0 searched in bulk. `keys` are
// updated in place.
inline void resolve_paths(const PipelineVersion& v, FlowKey* const* keys, unsigned count,
                          FlowPath* const* paths) {
  const FlowRule* first[TupleSpaceClassifier::kBulk];
  const PipelineVersion::Table& table = v.tables[0];
  TupleSpaceClassifier::lookup_bulk(table.subtables.data(), table.subtables.size(), keys, count,
                                    v.generation, first);
  for (unsigned j = 0; j < count; ++j) {
    paths[j]->n = 0;
    paths[j]->missed = false;
    resolve_path_from(v, 0, first[j], *keys[j], *paths[j]);
  }
}

}  // namespace sluice
