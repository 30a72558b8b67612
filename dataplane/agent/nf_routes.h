// Network-function endpoints (schemas in docs/api/sluiced.openapi.json):
//   GET    /v1/nf-classes            -> 200 {"classes":[NfClass...]}
//   POST   /v1/nf-plugins            {"path":"/x/nf.so"} -> 201 {"class","path"}
//   GET    /v1/nfs                   -> 200 {"nfs":[{"name","number","class"}...]} by number
//   POST   /v1/nfs                   {"name","class","config"?,"number"?}
//                                    -> 201 Nf, Location; event "nf-created"
//   GET    /v1/nfs/{name}            -> 200 Nf + {"stats": NfStats}
//   PUT    /v1/nfs/{name}            {"config":{...}} -> 200 Nf; applied while
//                                    workers forward; event "nf-reconfigured"
//   DELETE /v1/nfs/{name}            -> 204; event "nf-deleted"
//   GET    /v1/nfs/{name}/stats      -> 200 NfStats
//   GET    /v1/nfs/{name}/connections?cursor=N&limit=M (M 1..1000, default 100)
//                                    -> 200 {"connections":[...],"next":N|null}
// Nf is {"name","number","class","config"}. Rules place an instance with
// nf:NUMBER. Everything is checked before anything changes:
//   400 malformed   body is not JSON
//   404 not_found   no such instance (path "")
//   409 exists      name (path "/name"), number ("/number"), plugin class ("/path") taken
//   422 invalid     body not an object (""), unknown key ("/key"), wrong type,
//                   bad name ("/name"), unknown class ("/class"), number out of
//                   range ("/number"), configuration the class refuses
//                   ("/config/..."), a plugin that cannot be loaded or has
//                   another ABI ("/path"), bad ?cursor or ?limit
//   501 not_implemented  connections of a class without per-flow state
//   507 no_space    no free instance number
#pragma once

namespace sluice {

class Router;
class Datapath;
class EventBus;

void add_nf_routes(Router& router, Datapath& datapath, EventBus& events);

}  // namespace sluice
