// JSON forms of the flow pipeline's state for the REST API (schemas in
// docs/api/sluiced.openapi.json): rules with counters, flow-removed events,
// groups, meters and the flow statistics of GET /v1/stats. Rules, matches,
// actions and table misses themselves use common/rules/json.h.
//
// Thread-safety: pure functions, except those reading a Pipeline (control
// thread only, like the Pipeline).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "dataplane/flow/pipeline.h"

namespace sluice {

// A rule as GET /v1/tables/{id}/rules lists it: the rule's JSON form
// (rule_to_json) plus "id" (stable while the rule lives) and, when
// `counters`, "counters":{"packets","bytes","duration_s","idle_age_s"}
// (idle_age_s: seconds since the last hit, or since install when never hit;
// times in milliseconds resolution).
nlohmann::json flow_stats_json(const FlowStats& stats, uint64_t now_tsc, uint64_t tsc_hz,
                               bool counters);

// The data of a "flow-removed" event: table, priority, cookie, match (JSON
// form), text (the rule's text form), reason ("idle_timeout",
// "hard_timeout", "delete"), packets, bytes, duration_s, idle_timeout,
// hard_timeout.
nlohmann::json flow_removed_json(const FlowRemoved& removed);

// A group: {"id":N,"type":"all"|"select","buckets":[{"actions":[...]}]}.
// group_from_json throws sluice::Error (EINVAL) with a path under `base`.
GroupDef group_from_json(const nlohmann::json& j, const std::string& base);
nlohmann::json group_to_json(const GroupDef& group);

// A meter: {"id":N,"cir":BYTES_PER_S,"cbs":BYTES,"ebs":BYTES} (ebs optional,
// 0). meter_from_json throws sluice::Error (EINVAL) with a path under `base`.
struct MeterSpec {
  uint32_t id = 0;
  MeterConfig config;
  bool operator==(const MeterSpec&) const = default;
};
MeterSpec meter_from_json(const nlohmann::json& j, const std::string& base);
nlohmann::json meter_to_json(const MeterSpec& meter);

// "flows" of GET /v1/stats: {"generation","rules","packets","emc_hits",
// "emc_misses","emc_hit_percent","copy_failures","removed_dropped"}.
nlohmann::json flow_stats_summary_json(const Pipeline& pipeline);

// Helpers for the flow endpoints' parsers: a member that must be an unsigned
// integer no larger than `max` (or a decimal / 0x-hex string of one), and a
// check that an object has only `known` members. Both throw sluice::Error
// (EINVAL) naming `path`.
uint64_t json_unsigned(const nlohmann::json& j, const std::string& path, uint64_t max);
void json_known_members(const nlohmann::json& j, const std::string& base,
                        std::initializer_list<const char*> known);

}  // namespace sluice
