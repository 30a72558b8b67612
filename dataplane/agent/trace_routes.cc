// POST /v1/trace and POST /v1/packet-out (declared in flow_routes.h).
#include <rte_mbuf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

#include "common/error.h"
#include "common/rules/json.h"
#include "dataplane/agent/flow_json.h"
#include "dataplane/agent/flow_routes.h"
#include "dataplane/agent/packet_json.h"
#include "dataplane/agent/router.h"
#include "dataplane/datapath.h"

namespace sluice {
namespace {

using nlohmann::json;

const char* parse_status_name(ParseStatus s) {
  switch (s) {
    case ParseStatus::ok:
      return "ok";
    case ParseStatus::truncated:
      return "truncated";
    case ParseStatus::bad_header:
      return "bad_header";
  }
  return "?";
}

uint16_t port_member(const json& body, const Datapath& datapath, const char* key) {
  if (!body.contains(key)) throw Error(std::string("/") + key + ": missing", EINVAL, std::string("/") + key);
  const auto port =
      static_cast<uint16_t>(json_unsigned(body[key], std::string("/") + key, 0xffff));
  for (const PortReport& r : datapath.port_reports())
    if (r.number == port) return port;
  throw Error("no port number " + std::to_string(port), ENOENT, std::string("/") + key);
}

// Where the packet would go: one entry per output-like action, with the
// port numbers it reaches (flood: every other port; normal: the learned port
// or every other port; group: its buckets' outputs).
struct Outputs {
  const Datapath& datapath;
  uint16_t in_port;
  const FlowKey& key;  // after the last table's edits
  std::set<uint16_t> ports;
  bool controller = false;

  json others() {
    json list = json::array();
    for (const PortReport& r : datapath.port_reports())
      if (r.number != in_port) list.push_back(r.number), ports.insert(r.number);
    return list;
  }
  json normal() {
    char mac[18];
    std::snprintf(mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x", key.eth_dst[0],
                  key.eth_dst[1], key.eth_dst[2], key.eth_dst[3], key.eth_dst[4], key.eth_dst[5]);
    for (const MacReport& m : datapath.mac_reports()) {
      if (m.mac != mac) continue;
      if (m.port == in_port) return json::array();  // learned here: not sent back
      ports.insert(m.port);
      return json::array({m.port});
    }
    return others();
  }
  json of(const Action& a, const PipelineVersion& v) {
    json j = {{"type", action_name(a.type)}};
    switch (a.type) {
      case ActionType::output:
        j["port"] = a.arg;
        j["ports"] = a.arg == in_port ? json::array() : json::array({a.arg});
        if (a.arg != in_port) ports.insert(static_cast<uint16_t>(a.arg));
        break;
      case ActionType::flood:
        j["ports"] = others();
        break;
      case ActionType::normal:
        j["ports"] = normal();
        break;
      case ActionType::controller:
        controller = true;
        break;
      case ActionType::nf:
        j["instance"] = a.arg;
        break;
      case ActionType::group: {
        j["group_id"] = a.arg;
        json buckets = json::array();
        if (const GroupDef* g = v.find_group(a.arg)) {
          j["group_type"] = g->type == GroupType::select ? "select" : "all";
          for (const ActionList& b : g->buckets) {
            json outs = json::array();
            for (const Action& ba : b)
              if (is_destination(ba.type)) outs.push_back(of(ba, v));
            buckets.push_back(outs);
          }
        }
        j["buckets"] = buckets;
        break;
      }
      default:
        break;
    }
    return j;
  }
};

Response trace(Datapath& datapath, const Request& request) {
  const json body = request.json();
  if (!body.is_object()) throw Error("expected an object {\"in_port\":N,...}", EINVAL, "");
  if (!body.contains("in_port")) throw Error("/in_port: missing", EINVAL, "/in_port");
  const auto in_port = static_cast<uint16_t>(json_unsigned(body["in_port"], "/in_port", 0xffff));
  const Pipeline& pipeline = datapath.pipeline();
  TraceResult result;
  if (body.contains("hex")) {
    json_known_members(body, "", {"in_port", "hex"});
    std::vector<uint8_t> bytes = bytes_from_hex(body["hex"], "/hex");
    // A read-only, single-segment mbuf over the bytes: parsing only reads.
    alignas(RTE_CACHE_LINE_SIZE) rte_mbuf m;
    std::memset(&m, 0, sizeof m);
    m.buf_addr = bytes.data();
    m.buf_len = static_cast<uint16_t>(bytes.size());
    m.data_len = static_cast<uint16_t>(bytes.size());
    m.pkt_len = static_cast<uint32_t>(bytes.size());
    m.nb_segs = 1;
    result = pipeline.trace(&m, in_port);
  } else {
    result = pipeline.trace(flow_key_from_json(body, in_port));
  }
  const PipelineVersion& v = *pipeline.current();
  json steps = json::array();
  FlowKey last_key{};
  last_key.clear();
  last_key.in_port = in_port;
  for (const TraceStep& s : result.steps) {
    json step = {{"table", s.table}};
    if (s.rule) {
      step["rule"] = rule_to_json(*s.rule);
      step["rule"]["id"] = s.rule_id;
    } else {
      step["miss"] = miss_to_json(s.miss);
    }
    steps.push_back(std::move(step));
    last_key = s.key;
    if (s.rule) apply_key_effects(s.rule->actions.data(), s.rule->actions.size(), last_key);
  }
  Outputs outputs{datapath, in_port, last_key, {}, false};
  json outs = json::array();
  for (const Action& a : result.actions)
    if (is_destination(a.type)) outs.push_back(outputs.of(a, v));
  json packet = result.steps.empty() ? json::object() : flow_key_to_json(result.steps[0].key);
  json reply = {{"generation", v.generation},
                {"parse", parse_status_name(result.parse)},
                {"packet", packet},
                {"steps", steps},
                {"actions", actions_to_json(result.actions)},
                {"outputs", outs},
                {"ports", std::vector<uint16_t>(outputs.ports.begin(), outputs.ports.end())},
                {"controller", outputs.controller},
                {"dropped", outputs.ports.empty() && !outputs.controller}};
  return Response::json(reply);
}

// {"port":N,"hex":"..."}: the frame leaves port N unchanged, through worker
// 0's TX path; the reply comes once it is queued to that worker.
Response packet_out(Datapath& datapath, const Request& request) {
  const json body = request.json();
  if (!body.is_object()) throw Error("expected an object {\"port\":N,\"hex\":\"...\"}", EINVAL, "");
  json_known_members(body, "", {"port", "hex"});
  const uint16_t port = port_member(body, datapath, "port");
  if (!body.contains("hex")) throw Error("/hex: missing", EINVAL, "/hex");
  const std::vector<uint8_t> frame = bytes_from_hex(body["hex"], "/hex");
  datapath.packet_out(port, frame);
  return Response::json({{"port", port}, {"bytes", frame.size()}});
}

}  // namespace

void add_trace_routes(Router& router, Datapath& datapath) {
  router.add(HttpMethod::post, "/v1/trace",
             [&datapath](const Request& request) { return trace(datapath, request); });
  router.add(HttpMethod::post, "/v1/packet-out",
             [&datapath](const Request& request) { return packet_out(datapath, request); });
}

}  // namespace sluice
