// The agent's OpenAPI 3.0 document, docs/api/sluiced.openapi.json, embedded at
// build time (embed_openapi.py checks that it is valid JSON and minifies it).
#pragma once

#include <string_view>

namespace sluice {

class Router;

// The document, minified JSON.
std::string_view openapi_document();

// GET /v1/openapi.json -> 200, the document.
void add_openapi_route(Router& router);

}  // namespace sluice
