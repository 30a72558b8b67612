#include "dataplane/agent/openapi.h"

#include <string>

#include "dataplane/agent/router.h"

namespace sluice {

void add_openapi_route(Router& router) {
  router.add(HttpMethod::get, "/v1/openapi.json", [](const Request&) {
    return Response::text(std::string(openapi_document()), "application/json");
  });
}

}  // namespace sluice
