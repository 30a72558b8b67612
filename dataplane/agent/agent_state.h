// What the agent's listener, sessions and handlers share (internal to the
// agent). Owned through shared_ptr by the Agent and by every live session, so
// a session that outlives the Agent (its aborted operations still queued on
// the io_context) still has valid state; `closed` tells it not to serve.
// Control thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <unordered_set>
#include <vector>

#include "dataplane/agent/agent.h"
#include "dataplane/agent/event_bus.h"
#include "dataplane/agent/router.h"

namespace sluice {

class Session;

struct AgentState {
  explicit AgentState(const AgentOptions& o) : options(o), events(o.event_queue) {}

  AgentOptions options;
  Router router;
  EventBus events;
  bool closed = false;  // the Agent is gone: serve nothing more

  // For GET /v1/switch.
  uint64_t datapath_id = 0;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::vector<std::string> capabilities;

  // Connections and replies, for /v1/stats and /metrics.
  std::unordered_set<Session*> sessions;
  uint64_t connections_accepted = 0;
  uint64_t connections_refused = 0;        // over max_clients
  std::map<unsigned, uint64_t> responses;  // by status

  double uptime_s() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  }
};

}  // namespace sluice
