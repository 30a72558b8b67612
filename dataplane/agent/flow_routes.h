// The flow-table endpoints of the agent (schemas and examples in
// docs/api/sluiced.openapi.json and docs/api/README.md):
//
//   GET    /v1/tables                 generation; tables with rules or a miss
//                                     other than drop (id, rule_count, miss);
//                                     groups; meters
//   PUT    /v1/tables                 the whole pipeline, diffed server-side
//                                     (pipeline_diff.h) -> 200
//   GET    /v1/tables/{id}/rules      rules with counters; filters cookie,
//                                     cookie_mask, priority, match, strict
//                                     (rule_filter.h); counters=false;
//                                     format=text (one OVS-like line per rule)
//   POST   /v1/rules                  add one rule or several -> 201
//   DELETE /v1/rules?...              delete / delete_strict -> 200
//   POST   /v1/transactions           ops applied all-or-nothing -> 200
//
// Every write replies {"generation":N,"added","modified","removed"} only
// after the forwarding workers run generation N (Pipeline::commit waits), and
// carries ETag: "N". A write may name the generation it expects ("generation"
// in the body, or an If-Match: "N" header); if the tables are at another
// generation the reply is 409 stale_generation, nothing is applied, and the
// error object carries "generation" (the current one). GET replies carry the
// current generation as ETag too.
//
// Errors (http_errors.h): 400 malformed JSON; 404 unknown table; 409 stale
// generation; 413 body too large; 422 invalid content, the path naming the
// member ("/ops/3/rule/match/tcp_dst") or the query parameter ("?match");
// 507 the flow tables are full. Nothing is applied partially.
//
// Flow-removed records (deletions over REST and timeouts) are published on
// the EventBus as "flow-removed" events (flow_json.h): at once for deletions
// made through these endpoints, and by publish_flow_removed() for the rest.
//
// Thread-safety: control thread only (the agent's io_context).
#pragma once

#include <cstddef>

namespace sluice {

struct AgentState;
class Datapath;
class EventBus;
class Pipeline;
class Router;

void add_flow_routes(AgentState& state, Datapath& datapath);

// POST /v1/trace and POST /v1/packet-out (trace_routes.cc).
void add_trace_routes(Router& router, Datapath& datapath);

// Publishes every queued flow-removed record of `pipeline` (take_removed())
// as a "flow-removed" event; returns how many.
std::size_t publish_flow_removed(Pipeline& pipeline, EventBus& events);

}  // namespace sluice
