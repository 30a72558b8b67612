// PUT /v1/tables: the whole desired pipeline, diffed against the current one
// into the smallest transaction that turns one into the other, so that rules
// left as they are keep their ids and counters.
//
// Body:
//   {"generation":N (optional),
//    "tables":[{"id":T,"miss":MISS,"rules":[RULE...]}],
//    "groups":[GROUP...], "meters":[METER...]}
// A table not listed is empty with miss "drop"; RULE's "table" may be left
// out (it is the enclosing id) and must equal it when given. Formats as in
// transaction_json.h. Errors: sluice::Error EINVAL naming the member
// ("/tables/0/rules/2/match/tcp_dst"; a duplicate rule, table, group or meter
// names the second one).
//
// The diff: a rule with the same table, priority and match and only other
// actions is modified in place (modify_strict: id, counters and age kept);
// one whose cookie or timeouts differ is replaced (add); missing rules are
// deleted (delete_strict); misses, groups and meters are set where they
// differ and deleted where absent.
//
// Thread-safety: pure functions.
#pragma once

#include <array>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <vector>

#include "dataplane/agent/transaction_json.h"

namespace sluice {

struct PipelineState {
  std::array<TableMiss, kMaxTables> misses{};
  std::vector<Rule> rules;
  std::vector<GroupDef> groups;
  std::vector<MeterSpec> meters;
  // Only for a desired state: where each rule/table/group/meter was given.
  std::vector<std::string> rule_paths, group_paths, meter_paths;
  std::array<std::string, kMaxTables> miss_paths;
};

// Parses the body; `generation` gets its "generation" if present.
PipelineState pipeline_spec_from_json(const nlohmann::json& body,
                                      std::optional<uint64_t>& generation);

// The operations turning `current` into `desired` (an empty transaction when
// they are the same), with origins pointing into the PUT body.
FlowRequest diff_pipeline(const PipelineState& current, const PipelineState& desired);

}  // namespace sluice
