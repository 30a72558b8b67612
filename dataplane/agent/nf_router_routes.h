// Endpoints of the router NF class (nf/router), served through the class's
// commands (NetworkFunction::command), so a router loaded as a plugin has
// them too. Schemas in docs/api/sluiced.openapi.json:
//   GET    /v1/nfs/{name}/routes?cursor=PREFIX&limit=M (M 1..1000, default 100)
//                         -> 200 {"routes":[Route...],"next":PREFIX|null}
//                            static routes in prefix order, IPv4 first
//   POST   /v1/nfs/{name}/routes      {"routes":[Route...]} -> 200 {"generation"}
//                            adds them, all or nothing
//   PUT    /v1/nfs/{name}/routes      {"routes":[Route...]} -> 200 {"generation"}
//                            replaces the whole set as one version
//   DELETE /v1/nfs/{name}/routes?prefix=P -> 200 {"generation"}
//   POST   /v1/nfs/{name}/routes/delete {"prefixes":[P...]} -> 200 {"generation"}
//                            deletes them, all or nothing
//   GET    /v1/nfs/{name}/neighbours?cursor=N&limit=M
//                         -> 200 {"neighbours":[...],"next":N|null}
// The POST and PUT bodies are held to AgentOptions::max_routes_body (a
// million routes), not max_body.
// Route is {"prefix", "via"?, "interface"?} or {"prefix", "next_hops":
// [{"via"?, "interface"?}...]} (nf/router/router_config.h). A change is
// published without pausing the workers; the reply comes once it is.
// Errors: 404 no such instance, or a prefix to delete without a route (path
// ?prefix, or /prefixes/I of the first one, also a prefix given twice);
// 409 exists (POST of a prefix that has a route, path /routes/I/prefix);
// 422 invalid (the offending field); 501 not_implemented (the instance is
// not a router).
#pragma once

namespace sluice {

class Router;
class Datapath;

void add_nf_router_routes(Router& router, Datapath& datapath);

}  // namespace sluice
