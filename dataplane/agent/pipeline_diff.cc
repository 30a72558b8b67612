#include "dataplane/agent/pipeline_diff.h"

#include <cerrno>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <unordered_map>

#include "common/rules/json.h"
#include "common/rules/text.h"

namespace sluice {
namespace {

using nlohmann::json;

[[noreturn]] void fail(const std::string& path, const std::string& message) {
  throw Error(path + ": " + message, EINVAL, path);
}

// Table, priority and match: what makes a rule the same rule.
std::string identity(const Rule& r) {
  return std::to_string(r.table) + "/" + std::to_string(r.priority) + "/" + format_match(r.match);
}

bool same_group(const GroupDef& a, const GroupDef& b) {
  return a.id == b.id && a.type == b.type && a.buckets == b.buckets;
}

void parse_table(const json& tj, const std::string& base, PipelineState& out,
                 std::set<unsigned>& seen, std::unordered_map<std::string, std::string>& rules) {
  if (!tj.is_object()) fail(base, "a table is an object {\"id\",\"miss\",\"rules\"}");
  json_known_members(tj, base, {"id", "miss", "rules"});
  if (!tj.contains("id")) fail(base + "/id", "missing member 'id'");
  const auto id = static_cast<uint8_t>(json_unsigned(tj["id"], base + "/id", kMaxTables - 1));
  if (!seen.insert(id).second) fail(base + "/id", "table " + std::to_string(id) + " given twice");
  if (tj.contains("miss")) {
    out.misses[id] = miss_from_json(tj["miss"], base + "/miss");
    try {
      validate_miss(id, out.misses[id]);
    } catch (const Error& e) {
      fail(base + e.path(), e.what());
    }
  }
  out.miss_paths[id] = base;
  if (!tj.contains("rules")) return;
  const json& list = tj["rules"];
  if (!list.is_array()) fail(base + "/rules", "expected an array of rules");
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string path = base + "/rules/" + std::to_string(i);
    json rj = list[i];
    if (rj.is_object() && !rj.contains("table")) rj["table"] = id;
    Rule rule = rule_from_json_or_text(rj, path);
    if (rule.table != id)
      fail(rj.is_object() ? path + "/table" : path,
           "the rule is for table " + std::to_string(rule.table) + " but listed under table " +
               std::to_string(id));
    auto [it, fresh] = rules.emplace(identity(rule), path);
    if (!fresh) fail(path, "the same table, priority and match as " + it->second);
    out.rules.push_back(std::move(rule));
    out.rule_paths.push_back(path);
  }
}

}  // namespace

PipelineState pipeline_spec_from_json(const json& body, std::optional<uint64_t>& generation) {
  if (!body.is_object()) fail("", "expected an object {\"tables\",\"groups\",\"meters\"}");
  json_known_members(body, "", {"generation", "tables", "groups", "meters"});
  PipelineState out;
  if (body.contains("generation"))
    generation = json_unsigned(body["generation"], "/generation", ~uint64_t{0});
  auto array = [&](const char* key) -> const json& {
    static const json empty = json::array();
    if (!body.contains(key)) return empty;
    if (!body[key].is_array()) fail(std::string("/") + key, "expected an array");
    return body[key];
  };
  std::set<unsigned> tables;
  std::unordered_map<std::string, std::string> rules;
  const json& tj = array("tables");
  for (size_t t = 0; t < tj.size(); ++t)
    parse_table(tj[t], "/tables/" + std::to_string(t), out, tables, rules);
  std::set<uint32_t> ids;
  const json& gj = array("groups");
  for (size_t g = 0; g < gj.size(); ++g) {
    const std::string path = "/groups/" + std::to_string(g);
    out.groups.push_back(group_from_json(gj[g], path));
    if (!ids.insert(out.groups.back().id).second) fail(path + "/id", "group id given twice");
    out.group_paths.push_back(path);
  }
  ids.clear();
  const json& mj = array("meters");
  for (size_t m = 0; m < mj.size(); ++m) {
    const std::string path = "/meters/" + std::to_string(m);
    out.meters.push_back(meter_from_json(mj[m], path));
    if (!ids.insert(out.meters.back().id).second) fail(path + "/id", "meter id given twice");
    out.meter_paths.push_back(path);
  }
  return out;
}

FlowRequest diff_pipeline(const PipelineState& current, const PipelineState& desired) {
  FlowRequest out;
  auto origin = [&](const std::string& op, const std::string& rule) {
    out.origins.push_back({op, rule, false});
  };
  std::map<uint32_t, const GroupDef*> groups;
  for (const GroupDef& g : current.groups) groups[g.id] = &g;
  for (size_t i = 0; i < desired.groups.size(); ++i) {
    auto it = groups.find(desired.groups[i].id);
    if (it == groups.end() || !same_group(*it->second, desired.groups[i])) {
      out.txn.set_group(desired.groups[i]);
      origin(desired.group_paths[i], desired.group_paths[i]);
    }
  }
  std::map<uint32_t, MeterConfig> meters;
  for (const MeterSpec& m : current.meters) meters[m.id] = m.config;
  for (size_t i = 0; i < desired.meters.size(); ++i) {
    const MeterSpec& m = desired.meters[i];
    auto it = meters.find(m.id);
    if (it == meters.end() || !(it->second == m.config)) {
      out.txn.set_meter(m.id, m.config);
      out.meters.emplace_back(m.id, m.config);
      origin(desired.meter_paths[i], desired.meter_paths[i]);
    }
  }
  for (unsigned t = 0; t < kMaxTables; ++t) {
    if (current.misses[t] == desired.misses[t]) continue;
    out.txn.set_miss(static_cast<uint8_t>(t), desired.misses[t]);
    origin(desired.miss_paths[t], desired.miss_paths[t]);
  }
  std::unordered_map<std::string, const Rule*> live;
  for (const Rule& r : current.rules) live[identity(r)] = &r;
  std::set<std::string> wanted;
  for (size_t i = 0; i < desired.rules.size(); ++i) {
    const Rule& want = desired.rules[i];
    const std::string key = identity(want);
    wanted.insert(key);
    auto it = live.find(key);
    if (it != live.end() && *it->second == want) continue;
    const Rule* have = it == live.end() ? nullptr : it->second;
    if (have && have->cookie == want.cookie && have->idle_timeout == want.idle_timeout &&
        have->hard_timeout == want.hard_timeout)
      out.txn.modify(want, true);
    else
      out.txn.add(want);
    origin(desired.rule_paths[i], desired.rule_paths[i]);
  }
  for (const Rule& r : current.rules) {
    if (wanted.count(identity(r))) continue;
    out.txn.remove(r.table, r.match, true, r.priority);
    origin("", "");
  }
  for (const GroupDef& g : current.groups) {
    bool kept = false;
    for (const GroupDef& d : desired.groups) kept = kept || d.id == g.id;
    if (!kept) {
      out.txn.remove_group(g.id);
      origin("", "");
    }
  }
  for (const MeterSpec& m : current.meters) {
    bool kept = false;
    for (const MeterSpec& d : desired.meters) kept = kept || d.id == m.id;
    if (!kept) {
      out.txn.remove_meter(m.id);
      out.meters.emplace_back(m.id, std::nullopt);
      origin("", "");
    }
  }
  return out;
}

}  // namespace sluice
