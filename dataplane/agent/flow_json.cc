#include "dataplane/agent/flow_json.h"

#include <rte_cycles.h>

#include <algorithm>
#include <cerrno>
#include <cmath>

#include "common/error.h"
#include "common/rules/json.h"
#include "common/rules/text.h"

namespace sluice {
namespace {

using nlohmann::json;

[[noreturn]] void fail(const std::string& path, const std::string& message) {
  throw Error(path.empty() ? message : path + ": " + message, EINVAL, path);
}

double millis(double seconds) {
  return std::round(seconds * 1000.0) / 1000.0;
}

}  // namespace

uint64_t json_unsigned(const json& j, const std::string& path, uint64_t max) {
  if (j.is_string()) {
    auto n = parse_number(j.get<std::string>());
    if (n && *n <= max) return *n;
    fail(path, "expected an integer 0.." + std::to_string(max));
  }
  if (!j.is_number_unsigned() && !(j.is_number_integer() && j.get<int64_t>() >= 0))
    fail(path, std::string("expected a non-negative integer, got ") + j.type_name());
  const uint64_t v = j.get<uint64_t>();
  if (v > max) fail(path, std::to_string(v) + " is above the maximum " + std::to_string(max));
  return v;
}

void json_known_members(const json& j, const std::string& base,
                        std::initializer_list<const char*> known) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (std::none_of(known.begin(), known.end(), [&](const char* k) { return it.key() == k; }))
      fail(base + "/" + it.key(), "unknown member '" + it.key() + "'");
  }
}

json flow_stats_json(const FlowStats& s, uint64_t now_tsc, uint64_t tsc_hz, bool counters) {
  json j = rule_to_json(s.rule);
  j["id"] = s.id;
  if (!counters) return j;
  // The rule's last activity: its last hit, or its install time.
  const double install_age = s.duration_s;
  double idle = install_age;
  if (s.last_hit_tsc != 0 && now_tsc >= s.last_hit_tsc)
    idle = std::min(install_age, double(now_tsc - s.last_hit_tsc) / double(tsc_hz));
  j["counters"] = {{"packets", s.packets},
                   {"bytes", s.bytes},
                   {"duration_s", millis(s.duration_s)},
                   {"idle_age_s", millis(idle)}};
  return j;
}

json flow_removed_json(const FlowRemoved& r) {
  return {{"table", r.rule.table},
          {"priority", r.rule.priority},
          {"cookie", r.rule.cookie},
          {"match", match_to_json(r.rule.match)},
          {"text", format_rule(r.rule)},
          {"reason", removed_reason_name(r.reason)},
          {"packets", r.packets},
          {"bytes", r.bytes},
          {"duration_s", millis(r.duration_s)},
          {"idle_timeout", r.rule.idle_timeout},
          {"hard_timeout", r.rule.hard_timeout}};
}

GroupDef group_from_json(const json& j, const std::string& base) {
  if (!j.is_object()) fail(base, "a group is an object {\"id\",\"type\",\"buckets\"}");
  json_known_members(j, base, {"id", "type", "buckets"});
  GroupDef g;
  if (!j.contains("id")) fail(base + "/id", "missing member 'id'");
  g.id = static_cast<uint32_t>(json_unsigned(j["id"], base + "/id", 0xffffffff));
  if (j.contains("type")) {
    const json& t = j["type"];
    if (t == "all")
      g.type = GroupType::all;
    else if (t == "select")
      g.type = GroupType::select;
    else
      fail(base + "/type", "expected \"all\" or \"select\"");
  }
  if (!j.contains("buckets")) fail(base + "/buckets", "missing member 'buckets'");
  const json& buckets = j["buckets"];
  if (!buckets.is_array()) fail(base + "/buckets", "expected an array of {\"actions\":[...]}");
  for (size_t b = 0; b < buckets.size(); ++b) {
    const std::string path = base + "/buckets/" + std::to_string(b);
    if (!buckets[b].is_object()) fail(path, "a bucket is an object {\"actions\":[...]}");
    json_known_members(buckets[b], path, {"actions"});
    if (!buckets[b].contains("actions")) fail(path + "/actions", "missing member 'actions'");
    g.buckets.push_back(actions_from_json(buckets[b]["actions"], path + "/actions"));
  }
  return g;
}

json group_to_json(const GroupDef& g) {
  json buckets = json::array();
  for (const ActionList& b : g.buckets) buckets.push_back({{"actions", actions_to_json(b)}});
  return {{"id", g.id},
          {"type", g.type == GroupType::select ? "select" : "all"},
          {"buckets", buckets}};
}

MeterSpec meter_from_json(const json& j, const std::string& base) {
  if (!j.is_object()) fail(base, "a meter is an object {\"id\",\"cir\",\"cbs\",\"ebs\"}");
  json_known_members(j, base, {"id", "cir", "cbs", "ebs"});
  MeterSpec m;
  for (const char* key : {"id", "cir", "cbs"})
    if (!j.contains(key)) fail(base + "/" + key, std::string("missing member '") + key + "'");
  m.id = static_cast<uint32_t>(json_unsigned(j["id"], base + "/id", 0xffffffff));
  m.config.cir = json_unsigned(j["cir"], base + "/cir", uint64_t{1} << 48);
  m.config.cbs = json_unsigned(j["cbs"], base + "/cbs", uint64_t{1} << 48);
  if (j.contains("ebs")) m.config.ebs = json_unsigned(j["ebs"], base + "/ebs", uint64_t{1} << 48);
  if (m.config.cir == 0) fail(base + "/cir", "must be positive (bytes per second)");
  if (m.config.cbs == 0) fail(base + "/cbs", "must be positive (bytes)");
  return m;
}

json meter_to_json(const MeterSpec& m) {
  return {{"id", m.id}, {"cir", m.config.cir}, {"cbs", m.config.cbs}, {"ebs", m.config.ebs}};
}

json flow_stats_summary_json(const Pipeline& p) {
  const uint64_t hits = p.worker_stat(&FlowWorkerStats::emc_hits);
  const uint64_t misses = p.worker_stat(&FlowWorkerStats::emc_misses);
  const double lookups = double(hits + misses);
  return {{"generation", p.generation()},
          {"rules", p.rule_count()},
          {"packets", p.worker_stat(&FlowWorkerStats::packets)},
          {"emc_hits", hits},
          {"emc_misses", misses},
          {"emc_hit_percent", lookups > 0 ? 100.0 * double(hits) / lookups : 0.0},
          {"copy_failures", p.worker_stat(&FlowWorkerStats::copy_failures)},
          {"removed_dropped", p.removed_dropped()}};
}

}  // namespace sluice
