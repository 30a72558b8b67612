// sluiced's REST/JSON agent: an HTTP/1.1 server (Boost.Beast) for the switch's
// control channel, described by docs/api/sluiced.openapi.json.
//
// Threading: the agent runs on an io_context that the caller drives from the
// control thread (sluiced's main loop calls io.run_for(20ms)). Every handler
// runs there, one at a time, so handlers call Datapath methods directly; no
// other thread may touch the Agent, its Router or its EventBus.
//
// Limits: keep-alive connections, at most max_clients at once (more get 503
// and are closed); a request's headers within 16 KiB (else 431) and its body
// within max_body, or max_routes_body on routes added with BodyLimit::routes
// (the router NF's route tables), else 413 naming the limit (a Content-Length
// over it is refused before the body is read); a request must arrive within
// `timeout` and a reply be taken within `timeout`, else the connection is
// closed; idle keep-alive connections are closed after `timeout`.
//
// Security: with a token, every request needs "Authorization: Bearer TOKEN"
// (else 401 with WWW-Authenticate). Without a token only loopback addresses
// may be listened on.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/agent/event_bus.h"
#include "dataplane/agent/router.h"

namespace sluice {

class Datapath;
class DatapathEvents;
struct AgentState;
class Listener;

struct AgentOptions {
  std::string listen = "127.0.0.1:8181";       // see listen_address.h; port 0: any
  std::string token;                           // bearer token; empty: no auth
  std::size_t max_body = 16 << 20;             // request body limit, bytes
  std::size_t max_routes_body = 256 << 20;     // the same for BodyLimit::routes
  std::chrono::seconds timeout{30};            // per request / reply / idle
  std::size_t max_clients = 64;                // concurrent connections
  std::size_t event_queue = 1024;              // queued events per SSE client
  std::chrono::milliseconds keepalive{15000};  // SSE ": keep-alive" period
  uint64_t datapath_id = 0;                    // 0: derived, see datapath_id()
};

class Agent {
 public:
  // Binds and listens at once, registers the built-in routes (port, stats,
  // metrics, events and OpenAPI endpoints) and starts accepting; connections
  // are served as the caller runs `io`. Throws sluice::Error (path "--listen"):
  //   - EINVAL: a malformed listen address (listen_address.h), or a zero
  //     max_body, max_routes_body, timeout, keepalive or max_clients
  //   - EACCES: a non-loopback address without a token ("refusing to listen
  //     on 0.0.0.0:8181 without a token: pass --token-file ...")
  //   - the bind/listen errno (EADDRINUSE, EACCES, EADDRNOTAVAIL, ...), with a
  //     message naming the address and what to do, e.g.
  //     "cannot listen on 127.0.0.1:8181: address in use (another sluiced?
  //     pass --listen)"
  Agent(boost::asio::io_context& io, const AgentOptions& options, Datapath& datapath);
  // Stops accepting and closes every connection (their pending operations
  // complete as aborted the next time `io` runs, touching nothing of the
  // agent's handlers). `io` and the Datapath must outlive the Agent.
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // The bound address, "127.0.0.1:40312" (the real port when asked for 0).
  std::string address() const;

  // Where more endpoints are registered (the flow-table API). Routes may be
  // added at any time on the control thread.
  Router& router();
  // Events for GET /v1/events.
  EventBus& events();

  // The 64-bit datapath id reported by GET /v1/switch (as 16 hex digits):
  // options.datapath_id if set, else the MAC address of the lowest-numbered
  // port at construction (OVS style: 0x0000 followed by the 48-bit MAC), else
  // (no port yet) a locally administered 48-bit value hashed from the host
  // name. It never changes while the agent lives.
  uint64_t datapath_id() const;

  // Adds a feature name to GET /v1/switch's "capabilities" (e.g. "flow-tables").
  void add_capability(std::string name);

  // Publishes what the data plane queued for the control plane (packet-in,
  // flow-removed, port-status; see datapath_events.h); returns how many
  // events. sluiced's main loop calls it every turn.
  std::size_t publish_datapath_events();

 private:
  std::shared_ptr<AgentState> state_;
  std::shared_ptr<Listener> listener_;
  std::unique_ptr<DatapathEvents> datapath_events_;
};

}  // namespace sluice
