#include "dataplane/agent/flow_routes.h"

#include <rte_cycles.h>

#include <cerrno>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/error.h"
#include "common/rules/json.h"
#include "common/rules/text.h"
#include "dataplane/agent/agent_state.h"
#include "dataplane/agent/flow_json.h"
#include "dataplane/agent/http_errors.h"
#include "dataplane/agent/pipeline_diff.h"
#include "dataplane/agent/rule_filter.h"
#include "dataplane/agent/transaction_json.h"
#include "dataplane/datapath.h"

namespace sluice {
namespace {

using nlohmann::json;

// What the flow endpoints keep between requests.
struct FlowApi {
  Datapath& datapath;
  EventBus& events;
  // Meter configurations as set through the API (the pipeline keeps only
  // DPDK profiles, from which cir is not exactly recoverable).
  std::map<uint32_t, MeterConfig> meters;

  Pipeline& pipeline() { return datapath.pipeline(); }
};

std::string etag(uint64_t generation) {
  return "\"" + std::to_string(generation) + "\"";
}

Response with_etag(Response r, uint64_t generation) {
  r.headers.emplace_back("ETag", etag(generation));
  return r;
}

// The generation a write expects: If-Match ("N", W/"N", N; "*" = any) and
// the body's "generation"; both must agree when both are given.
std::optional<uint64_t> expected_generation(const Request& request, std::optional<uint64_t> body) {
  std::string text(request.header("If-Match"));
  std::optional<uint64_t> header;
  if (!text.empty() && text != "*") {
    if (text.rfind("W/", 0) == 0) text = text.substr(2);
    if (text.size() >= 2 && text.front() == '"' && text.back() == '"')
      text = text.substr(1, text.size() - 2);
    auto n = parse_number(text);
    if (!n)
      throw Error("If-Match: expected a generation such as \"7\", got " +
                      std::string(request.header("If-Match")),
                  EINVAL, "If-Match");
    header = *n;
  }
  if (header && body && *header != *body)
    throw Error("/generation: the body says " + std::to_string(*body) + " but If-Match says " +
                    std::to_string(*header),
                EINVAL, "/generation");
  return header ? header : body;
}

std::optional<Response> stale(const Pipeline& pipeline, std::optional<uint64_t> expected,
                              bool from_body) {
  const uint64_t now = pipeline.generation();
  if (!expected || *expected == now) return std::nullopt;
  json body = {{"error",
                {{"code", "stale_generation"},
                 {"message", "generation " + std::to_string(*expected) +
                                 " is stale: the tables are at generation " + std::to_string(now) +
                                 "; read them again and retry"},
                 {"path", from_body ? "/generation" : ""},
                 {"generation", now}}}};
  return with_etag(Response::json(body, 409), now);
}

// Applies `fr` and replies `status` with {"generation","added","modified",
// "removed"} (only "generation" and "added" when `adds_only`).
Response commit(FlowApi& api, const Request& request, FlowRequest& fr, unsigned status,
                bool adds_only = false) {
  Pipeline& p = api.pipeline();
  const std::optional<uint64_t> expected = expected_generation(request, fr.generation);
  if (auto conflict = stale(p, expected, fr.generation.has_value())) return *conflict;
  CommitResult result;
  try {
    result = p.commit(std::move(fr.txn));  // commit_error() reads only what an error leaves
  } catch (const Error& e) {
    throw commit_error(e, fr, *p.current());
  }
  for (const auto& [id, config] : fr.meters) {
    if (config)
      api.meters[id] = *config;
    else
      api.meters.erase(id);
  }
  publish_flow_removed(p, api.events);
  json body = {{"generation", result.generation}, {"added", result.added}};
  if (!adds_only) {
    body["modified"] = result.modified;
    body["removed"] = result.removed;
  }
  return with_etag(Response::json(body, status), result.generation);
}

Response no_change(const Pipeline& p) {
  json body = {{"generation", p.generation()}, {"added", 0}, {"modified", 0}, {"removed", 0}};
  return with_etag(Response::json(body), p.generation());
}

uint8_t table_param(const Request& request) {
  const std::string& text = request.param("id");
  auto n = parse_number(text);
  if (!n || *n >= kMaxTables || text.empty() || text[0] < '0' || text[0] > '9')
    throw Error("no table \"" + text + "\": tables are 0.." + std::to_string(kMaxTables - 1),
                ENOENT);
  return static_cast<uint8_t>(*n);
}

std::vector<MeterSpec> meter_specs(const FlowApi& api, const PipelineVersion& v) {
  std::vector<MeterSpec> out;
  for (const MeterRef& m : v.meters) {
    auto it = api.meters.find(m.id);
    MeterSpec spec{m.id, {}};
    if (it != api.meters.end()) {
      spec.config = it->second;
    } else {  // set by someone else: cbs and ebs exact, cir from the profile
      const uint64_t hz = rte_get_tsc_hz();
      spec.config.cbs = m.profile.cbs;
      spec.config.ebs = m.profile.ebs;
      spec.config.cir =
          m.profile.cir_period ? m.profile.cir_bytes_per_period * hz / m.profile.cir_period : 0;
    }
    out.push_back(spec);
  }
  return out;
}

PipelineState current_state(FlowApi& api) {
  const Pipeline& p = api.pipeline();
  const PipelineVersion& v = *p.current();
  PipelineState s;
  for (unsigned t = 0; t < kMaxTables; ++t) s.misses[t] = v.tables[t].miss;
  for (const FlowStats& f : p.dump()) s.rules.push_back(f.rule);
  for (const auto& g : v.groups) s.groups.push_back(*g);
  s.meters = meter_specs(api, v);
  return s;
}

Response list_tables(FlowApi& api) {
  const Pipeline& p = api.pipeline();
  const PipelineVersion& v = *p.current();
  std::array<size_t, kMaxTables> counts{};
  for (const FlowStats& f : p.dump()) ++counts[f.rule.table];
  json tables = json::array();
  for (unsigned t = 0; t < kMaxTables; ++t) {
    if (counts[t] == 0 && v.tables[t].miss == TableMiss{}) continue;
    tables.push_back({{"id", t}, {"rule_count", counts[t]}, {"miss", miss_to_json(v.tables[t].miss)}});
  }
  json groups = json::array();
  for (const auto& g : v.groups) groups.push_back(group_to_json(*g));
  json meters = json::array();
  for (const MeterSpec& m : meter_specs(api, v)) meters.push_back(meter_to_json(m));
  json body = {{"generation", v.generation},
               {"max_tables", kMaxTables},
               {"rule_count", p.rule_count()},
               {"tables", tables},
               {"groups", groups},
               {"meters", meters}};
  return with_etag(Response::json(body), v.generation);
}

std::string stats_text(const FlowStats& s, const json& counters) {
  char text[160];
  std::snprintf(text, sizeof text, "n_packets=%llu, n_bytes=%llu, duration=%.3fs, idle_age=%.3fs, ",
                static_cast<unsigned long long>(s.packets),
                static_cast<unsigned long long>(s.bytes), counters["duration_s"].get<double>(),
                counters["idle_age_s"].get<double>());
  return text;
}

Response list_rules(FlowApi& api, const Request& request) {
  const uint8_t table = table_param(request);
  const RuleFilter filter = rule_filter_from_query(
      request, {"cookie", "cookie_mask", "priority", "match", "strict", "format", "counters"});
  bool text = false, counters = true;
  if (auto f = request.query_value("format")) {
    if (*f != "json" && *f != "text") throw Error("?format: expected json or text", EINVAL, "?format");
    text = *f == "text";
  }
  if (auto c = request.query_value("counters")) {
    if (*c != "true" && *c != "false")
      throw Error("?counters: expected true or false", EINVAL, "?counters");
    counters = *c == "true";
  }
  const Pipeline& p = api.pipeline();
  const uint64_t now = rte_get_tsc_cycles();
  json rules = json::array();
  std::string lines;
  for (const FlowStats& s : p.dump(table)) {
    if (!rule_selected(filter, s.rule)) continue;
    json j = flow_stats_json(s, now, p.tsc_hz(), counters);
    if (text) {
      if (counters) lines += stats_text(s, j["counters"]);
      lines += format_rule(s.rule) + "\n";
    } else {
      rules.push_back(std::move(j));
    }
  }
  if (text)
    return with_etag(Response::text(lines, "text/plain; charset=utf-8"), p.generation());
  return with_etag(Response::json({{"generation", p.generation()}, {"table", table}, {"rules", rules}}),
                   p.generation());
}

Response delete_rules(FlowApi& api, const Request& request) {
  const RuleFilter filter = rule_filter_from_query(
      request, {"table", "priority", "cookie", "cookie_mask", "match", "strict"});
  RuleFilter f = filter;
  if (f.strict && !f.priority) f.priority = kDefaultPriority;
  FlowRequest fr;
  for (const FlowStats& s : api.pipeline().dump(f.table)) {
    if (!rule_selected(f, s.rule)) continue;
    fr.txn.remove(s.rule.table, s.rule.match, true, s.rule.priority);
    fr.origins.push_back({"", "", false});
  }
  const std::optional<uint64_t> expected = expected_generation(request, std::nullopt);
  if (auto conflict = stale(api.pipeline(), expected, false)) return *conflict;
  if (fr.txn.empty()) return no_change(api.pipeline());
  return commit(api, request, fr, 200);
}

Response put_tables(FlowApi& api, const Request& request) {
  std::optional<uint64_t> generation;
  const PipelineState desired = pipeline_spec_from_json(request.json(), generation);
  FlowRequest fr = diff_pipeline(current_state(api), desired);
  fr.generation = generation;
  const std::optional<uint64_t> expected = expected_generation(request, generation);
  if (auto conflict = stale(api.pipeline(), expected, generation.has_value())) return *conflict;
  if (fr.txn.empty()) return no_change(api.pipeline());
  return commit(api, request, fr, 200);
}

}  // namespace

std::size_t publish_flow_removed(Pipeline& pipeline, EventBus& events) {
  const std::vector<FlowRemoved> removed = pipeline.take_removed();
  for (const FlowRemoved& r : removed) events.publish("flow-removed", flow_removed_json(r));
  return removed.size();
}

void add_flow_routes(AgentState& state, Datapath& datapath) {
  auto api = std::make_shared<FlowApi>(FlowApi{datapath, state.events, {}});
  Router& router = state.router;
  router.add(HttpMethod::get, "/v1/tables", [api](const Request&) { return list_tables(*api); });
  router.add(HttpMethod::put, "/v1/tables",
             [api](const Request& request) { return put_tables(*api, request); });
  router.add(HttpMethod::get, "/v1/tables/{id}/rules",
             [api](const Request& request) { return list_rules(*api, request); });
  router.add(HttpMethod::post, "/v1/rules", [api](const Request& request) {
    FlowRequest fr = rules_from_json(request.json());
    return commit(*api, request, fr, 201, true);
  });
  router.add(HttpMethod::delete_, "/v1/rules",
             [api](const Request& request) { return delete_rules(*api, request); });
  router.add(HttpMethod::post, "/v1/transactions", [api](const Request& request) {
    FlowRequest fr = transaction_from_json(request.json());
    return commit(*api, request, fr, 200);
  });
}

}  // namespace sluice
