#include "dataplane/agent/nf_router_routes.h"

#include <cerrno>
#include <charconv>
#include <string>

#include "common/error.h"
#include "dataplane/agent/router.h"
#include "dataplane/datapath.h"

namespace sluice {
namespace {

using nlohmann::json;

constexpr unsigned kDefaultPage = 100;
constexpr unsigned kMaxPage = 1000;

// {"<key>": ...} and nothing else: {"routes": [...]}, {"prefixes": [...]}.
json body_of(const Request& request, const std::string& key) {
  json body = request.json();
  if (!body.is_object()) throw Error("expected an object with \"" + key + "\"", EINVAL, "");
  for (const auto& [name, value] : body.items())
    if (name != key)
      throw Error("unknown key \"" + name + "\" (known keys: " + key + ")", EINVAL, "/" + name);
  if (!body.contains(key)) throw Error("missing \"" + key + "\"", EINVAL, "/" + key);
  return body;
}

unsigned page_limit(const Request& request) {
  auto text = request.query_value("limit");
  if (!text) return kDefaultPage;
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size() || value < 1 || value > kMaxPage)
    throw Error("?limit: expected an integer from 1 to " + std::to_string(kMaxPage), EINVAL,
                "?limit");
  return value;
}

// The instance's command. Errors about its paging arguments are about the
// query string.
json command(Datapath& datapath, const Request& request, const char* name, const json& args) {
  try {
    return datapath.nfs().command(request.param("name"), name, args);
  } catch (const Error& e) {
    if (e.path() == "/cursor" || e.path() == "/limit")
      throw Error(e.what(), e.code(), "?" + e.path().substr(1));
    throw;
  }
}

// A handler that gives the instance's command `name` the body {"<key>": ...}.
Handler body_command(Datapath& datapath, const char* name, const char* key) {
  return [&datapath, name, key](const Request& request) {
    return Response::json(command(datapath, request, name, body_of(request, key)));
  };
}

}  // namespace

void add_nf_router_routes(Router& router, Datapath& datapath) {
  router.add(HttpMethod::get, "/v1/nfs/{name}/routes", [&datapath](const Request& request) {
    json args = {{"limit", page_limit(request)}};
    if (auto cursor = request.query_value("cursor")) args["cursor"] = *cursor;
    return Response::json(command(datapath, request, "routes", args));
  });
  router.add(HttpMethod::post, "/v1/nfs/{name}/routes",
             body_command(datapath, "add_routes", "routes"), BodyLimit::routes);
  router.add(HttpMethod::put, "/v1/nfs/{name}/routes",
             body_command(datapath, "replace_routes", "routes"), BodyLimit::routes);
  router.add(HttpMethod::delete_, "/v1/nfs/{name}/routes", [&datapath](const Request& request) {
    auto prefix = request.query_value("prefix");
    if (!prefix) throw Error("?prefix: missing (the route to delete)", EINVAL, "?prefix");
    try {
      return Response::json(
          command(datapath, request, "delete_routes", {{"prefixes", json::array({*prefix})}}));
    } catch (const Error& e) {
      if (e.path() == "/prefixes/0") throw Error(e.what(), e.code(), "?prefix");
      throw;
    }
  });
  router.add(HttpMethod::post, "/v1/nfs/{name}/routes/delete",
             body_command(datapath, "delete_routes", "prefixes"), BodyLimit::routes);
  router.add(HttpMethod::get, "/v1/nfs/{name}/neighbours", [&datapath](const Request& request) {
    json args = {{"limit", page_limit(request)}};
    if (auto cursor = request.query_value("cursor")) {
      uint64_t value = 0;
      auto [end, ec] = std::from_chars(cursor->data(), cursor->data() + cursor->size(), value);
      if (ec != std::errc() || end != cursor->data() + cursor->size())
        throw Error("?cursor: expected a whole number", EINVAL, "?cursor");
      args["cursor"] = value;
    }
    return Response::json(command(datapath, request, "neighbours", args));
  });
}

}  // namespace sluice
