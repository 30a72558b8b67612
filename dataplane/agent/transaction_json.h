// The bodies of the flow-table write endpoints, parsed into a Transaction,
// remembering where in the body every operation came from so that an error
// found later (by Pipeline::commit) still names the offending member.
//
// POST /v1/transactions:
//   {"generation":N (optional),
//    "ops":[{"op":"add","rule":RULE},
//           {"op":"modify"|"modify_strict","rule":RULE,"cookie_mask":M},
//           {"op":"delete"|"delete_strict","rule":RULE without actions,"cookie_mask":M},
//           {"op":"set_miss","table":T,"miss":MISS},
//           {"op":"set_group","group":GROUP}, {"op":"delete_group","id":G},
//           {"op":"set_meter","meter":METER}, {"op":"delete_meter","id":M}]}
// POST /v1/rules:
//   RULE | {"rules":[RULE...],"generation":N} | {"text":"one rule per line","generation":N}
// RULE is the JSON form (common/rules/json.h) or a string in the text form
// (common/rules/text.h); MISS as miss_from_json; GROUP and METER as in
// flow_json.h.
//
// Errors: sluice::Error EINVAL (422) whose path is the JSON pointer of the
// offending member ("/ops/3/rule/match/tcp_dst"; for a rule given as text,
// the pointer of the string, with the column in the message).
//
// Thread-safety: pure functions, except commit_error (control thread).
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "dataplane/agent/flow_json.h"
#include "dataplane/flow/transaction.h"

namespace sluice {

struct FlowRequest {
  Transaction txn;
  struct Origin {
    std::string op;    // pointer of the operation ("/ops/3", "/rules/2", "")
    std::string rule;  // pointer of its rule, group or meter ("/ops/3/rule", "/ops/4/group")
    bool text = false;  // the rule was given in the text form
  };
  std::vector<Origin> origins;         // one per txn op
  std::optional<uint64_t> generation;  // the body's "generation", if any
  // Meter changes in order (nullopt: deleted), so the caller can keep the
  // configurations it set (Pipeline reports meters only as DPDK profiles).
  std::vector<std::pair<uint32_t, std::optional<MeterConfig>>> meters;
};

// A rule in the JSON or the text form at `path`. Throws as above.
Rule rule_from_json_or_text(const nlohmann::json& j, const std::string& path);

FlowRequest transaction_from_json(const nlohmann::json& body);
FlowRequest rules_from_json(const nlohmann::json& body);

// The error to report for `e`, thrown by Pipeline::commit(request.txn) when
// the pipeline was at `version`: paths re-rooted into the request body; a
// reference to a group or meter that would not exist (ENOENT) becomes EINVAL
// naming the action (or the delete_group/delete_meter op) responsible.
Error commit_error(const Error& e, const FlowRequest& request, const PipelineVersion& version);

}  // namespace sluice
