#include "dataplane/agent/agent.h"

#include <rte_ethdev.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "common/error.h"
#include "dataplane/agent/agent_state.h"
#include "dataplane/agent/datapath_events.h"
#include "dataplane/agent/flow_routes.h"
#include "dataplane/agent/listen_address.h"
#include "dataplane/agent/listener.h"
#include "dataplane/agent/metrics.h"
#include "dataplane/agent/nf_router_routes.h"
#include "dataplane/agent/nf_routes.h"
#include "dataplane/agent/openapi.h"
#include "dataplane/agent/port_routes.h"
#include "dataplane/agent/session.h"
#include "dataplane/agent/switch_routes.h"
#include "dataplane/datapath.h"

namespace sluice {
namespace {

void check_options(const AgentOptions& o) {
  if (o.max_body == 0) throw Error("agent max_body must be positive", EINVAL);
  if (o.max_routes_body == 0) throw Error("agent max_routes_body must be positive", EINVAL);
  if (o.timeout.count() <= 0) throw Error("agent timeout must be positive", EINVAL);
  if (o.keepalive.count() <= 0) throw Error("agent keepalive must be positive", EINVAL);
  if (o.max_clients == 0) throw Error("agent max_clients must be positive", EINVAL);
}

// See Agent::datapath_id().
uint64_t derive_datapath_id(const Datapath& datapath) {
  for (const PortReport& report : datapath.port_reports()) {
    const Port* port = datapath.find_port(report.name);
    rte_ether_addr mac{};
    if (!port || rte_eth_macaddr_get(port->id(), &mac) != 0) continue;
    uint64_t id = 0;
    for (uint8_t byte : mac.addr_bytes) id = (id << 8) | byte;
    if (id != 0) return id;
  }
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  uint64_t hash = 0xcbf29ce484222325ull;  // FNV-1a
  for (const char* c = host; *c; ++c)
    hash = (hash ^ static_cast<unsigned char>(*c)) * 0x100000001b3ull;
  // A unicast, locally administered MAC-like value.
  return (hash & 0xfcffffffffffull) | 0x020000000000ull;
}

}  // namespace

Agent::Agent(boost::asio::io_context& io, const AgentOptions& options, Datapath& datapath)
    : state_(std::make_shared<AgentState>(options)),
      datapath_events_(std::make_unique<DatapathEvents>(datapath, state_->events)) {
  check_options(options);
  const boost::asio::ip::tcp::endpoint endpoint = parse_listen_address(options.listen);
  if (options.token.empty() && !endpoint.address().is_loopback()) {
    throw Error("refusing to listen on " + endpoint_text(endpoint) +
                    " without a token: pass --token-file FILE, or listen on 127.0.0.1",
                EACCES, "--listen");
  }
  state_->datapath_id = options.datapath_id ? options.datapath_id : derive_datapath_id(datapath);
  state_->capabilities = {"ports.hot-add", "ports.hot-remove", "mac-learning",
                          "events",        "metrics",          "openapi",
                          "flow-tables",   "network-functions"};

  add_switch_routes(*state_, datapath);
  add_port_routes(state_->router, datapath, state_->events);
  add_metrics_route(*state_, datapath);
  add_flow_routes(*state_, datapath);
  add_trace_routes(state_->router, datapath);
  add_nf_routes(state_->router, datapath, state_->events);
  add_nf_router_routes(state_->router, datapath);
  add_openapi_route(state_->router);
  state_->router.add(HttpMethod::get, "/v1/events",
                     [](const Request&) { return Response::events(); });

  listener_ = std::make_shared<Listener>(io, state_, endpoint);
  listener_->start();
}

Agent::~Agent() {
  state_->closed = true;
  listener_->close();
  const std::vector<Session*> sessions(state_->sessions.begin(), state_->sessions.end());
  for (Session* session : sessions) session->close();
}

std::string Agent::address() const {
  return endpoint_text(listener_->local_endpoint());
}
Router& Agent::router() {
  return state_->router;
}
EventBus& Agent::events() {
  return state_->events;
}
uint64_t Agent::datapath_id() const {
  return state_->datapath_id;
}
void Agent::add_capability(std::string name) {
  state_->capabilities.push_back(std::move(name));
}
std::size_t Agent::publish_datapath_events() {
  return datapath_events_->publish();
}

}  // namespace sluice
