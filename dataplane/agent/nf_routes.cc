#include "dataplane/agent/nf_routes.h"

#include <cerrno>
#include <charconv>
#include <initializer_list>

#include "common/error.h"
#include "dataplane/agent/event_bus.h"
#include "dataplane/agent/router.h"
#include "dataplane/datapath.h"

namespace sluice {
namespace {

using nlohmann::json;

constexpr unsigned kDefaultPage = 100;
constexpr unsigned kMaxPage = 1000;

[[noreturn]] void invalid(const std::string& path, const std::string& message) {
  throw Error(message, EINVAL, path);
}

// The request's body, an object whose keys are all in `known`.
json object_body(const Request& request, std::initializer_list<const char*> known) {
  json body = request.json();
  std::string list;
  for (const char* k : known) list += (list.empty() ? "" : ", ") + std::string(k);
  if (!body.is_object()) invalid("", std::string("expected an object, got ") + body.type_name());
  for (const auto& [key, value] : body.items()) {
    bool ok = false;
    for (const char* k : known) ok = ok || key == k;
    if (!ok) invalid("/" + key, "unknown key \"" + key + "\" (known keys: " + list + ")");
  }
  return body;
}

std::string string_member(const json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end()) invalid(std::string("/") + key, std::string("missing \"") + key + "\"");
  if (!it->is_string())
    invalid(std::string("/") + key, std::string("expected a string, got ") + it->type_name());
  return it->get<std::string>();
}

const nf::NfInstance& instance(const Datapath& datapath, const std::string& name) {
  const nf::NfInstance* nf = datapath.nfs().find(name);
  if (nf == nullptr) throw Error("no NF instance \"" + name + "\"", ENOENT);
  return *nf;
}

uint64_t query_number(const Request& request, const char* key, uint64_t fallback, uint64_t lo,
                      uint64_t hi) {
  auto text = request.query_value(key);
  if (!text) return fallback;
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size() || value < lo || value > hi)
    invalid(std::string("?") + key, std::string("?") + key + ": expected an integer from " +
                                        std::to_string(lo) + " to " + std::to_string(hi));
  return value;
}

// Errors of loading a plugin are about the body's "path".
std::string load_plugin(Datapath& datapath, const std::string& path) {
  try {
    return datapath.nfs().registry().add_plugin(path);
  } catch (const Error& e) {
    throw Error(e.what(), e.code() == EEXIST ? EEXIST : EINVAL, "/path");
  }
}

Response create_nf(Datapath& datapath, EventBus& events, const Request& request) {
  const json body = object_body(request, {"name", "class", "config", "number"});
  const std::string name = string_member(body, "name");
  const std::string class_name = string_member(body, "class");
  const json config = body.contains("config") ? body["config"] : json::object();
  uint32_t number = 0;
  if (auto it = body.find("number"); it != body.end()) {
    if (!it->is_number_unsigned() || it->get<uint64_t>() == 0 || it->get<uint64_t>() > kMaxNfNumber)
      invalid("/number", "expected an integer from 1 to " + std::to_string(kMaxNfNumber));
    number = it->get<uint32_t>();
  }
  try {
    datapath.nfs().create(name, class_name, config, number);
  } catch (const Error& e) {
    if (e.code() == ENOENT) throw Error(e.what(), EINVAL, "/class");  // a field, not the URL
    throw;
  }
  json nf = datapath.nfs().describe(name);
  events.publish("nf-created", {{"name", name}, {"number", nf["number"]}, {"class", class_name}});
  Response response = Response::json(nf, 201);
  response.headers.emplace_back("Location", "/v1/nfs/" + name);
  return response;
}

}  // namespace

void add_nf_routes(Router& router, Datapath& datapath, EventBus& events) {
  router.add(HttpMethod::get, "/v1/nf-classes", [&datapath](const Request&) {
    return Response::json({{"classes", datapath.nfs().registry().classes()}});
  });

  router.add(HttpMethod::post, "/v1/nf-plugins", [&datapath](const Request& request) {
    const json body = object_body(request, {"path"});
    const std::string path = string_member(body, "path");
    return Response::json({{"class", load_plugin(datapath, path)}, {"path", path}}, 201);
  });

  router.add(HttpMethod::get, "/v1/nfs", [&datapath](const Request&) {
    json list = json::array();
    for (const std::string& name : datapath.nfs().names()) {
      json nf = datapath.nfs().describe(name);
      nf.erase("config");
      list.push_back(std::move(nf));
    }
    return Response::json({{"nfs", list}});
  });

  router.add(HttpMethod::post, "/v1/nfs", [&datapath, &events](const Request& request) {
    return create_nf(datapath, events, request);
  });

  router.add(HttpMethod::get, "/v1/nfs/{name}", [&datapath](const Request& request) {
    const std::string& name = request.param("name");
    const nf::NfInstance& nf = instance(datapath, name);
    json reply = datapath.nfs().describe(name);
    reply["stats"] = nf.stats();
    return Response::json(reply);
  });

  router.add(HttpMethod::put, "/v1/nfs/{name}", [&datapath, &events](const Request& request) {
    const std::string& name = request.param("name");
    instance(datapath, name);  // 404 before looking at the body
    const json body = object_body(request, {"config"});
    if (!body.contains("config")) invalid("/config", "missing \"config\"");
    datapath.nfs().reconfigure(name, body["config"]);
    events.publish("nf-reconfigured", {{"name", name}});
    return Response::json(datapath.nfs().describe(name));
  });

  router.add(HttpMethod::delete_, "/v1/nfs/{name}", [&datapath, &events](const Request& request) {
    const std::string& name = request.param("name");
    instance(datapath, name);
    const uint32_t number = datapath.nfs().number_of(name);
    datapath.nfs().remove(name);
    events.publish("nf-deleted", {{"name", name}, {"number", number}});
    return Response::empty(204);
  });

  router.add(HttpMethod::get, "/v1/nfs/{name}/stats", [&datapath](const Request& request) {
    return Response::json(instance(datapath, request.param("name")).stats());
  });

  router.add(HttpMethod::get, "/v1/nfs/{name}/connections", [&datapath](const Request& request) {
    const nf::NfInstance& nf = instance(datapath, request.param("name"));
    const uint64_t cursor = query_number(request, "cursor", 0, 0, UINT64_MAX);
    const auto limit =
        static_cast<unsigned>(query_number(request, "limit", kDefaultPage, 1, kMaxPage));
    return Response::json(nf.connections(cursor, limit));
  });
}

}  // namespace sluice
