// Port endpoints (schemas in docs/api/sluiced.openapi.json):
//   GET    /v1/ports          -> 200 {"ports":[Port...]} by port number
//   GET    /v1/ports/{name}   -> 200 Port; 404 not_found
//   POST   /v1/ports          {"spec":"[NAME=]SPEC"} or {"name":"x","spec":"SPEC"}
//                             -> 201 Port + {"warnings":[...]}, Location header;
//                             publishes event "port-added"
//   DELETE /v1/ports/{name}   -> 204; 404 not_found; publishes "port-removed"
// POST errors (nothing is added on error):
//   400 malformed   body is not JSON
//   422 invalid     body not an object (path ""), unknown key (path "/key"),
//                   "name"/"spec" not a string, "spec" missing, bad name
//                   (path "/name"), bad spec or a device the driver refuses
//                   (path "/spec", message from parse_port_spec / the port)
//   409 exists      the name is taken (path "/name")
//   507 no_space    no room for another port
#pragma once

namespace sluice {

class Router;
class Datapath;
class EventBus;

void add_port_routes(Router& router, Datapath& datapath, EventBus& events);

}  // namespace sluice
