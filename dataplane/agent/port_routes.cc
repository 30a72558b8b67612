#include "dataplane/agent/port_routes.h"

#include <cerrno>
#include <optional>

#include "common/error.h"
#include "dataplane/agent/event_bus.h"
#include "dataplane/agent/port_json.h"
#include "dataplane/agent/router.h"
#include "dataplane/datapath.h"

namespace sluice {
namespace {

using nlohmann::json;

[[noreturn]] void invalid(const std::string& path, const std::string& message) {
  throw Error(message, EINVAL, path);
}

std::string string_field(const json& value, const std::string& path) {
  if (!value.is_string()) invalid(path, std::string("expected a string, got ") + value.type_name());
  return value.get<std::string>();
}

// The body of POST /v1/ports as a PortSpec; see port_routes.h for the errors.
PortSpec spec_from_body(const json& body) {
  if (!body.is_object()) {
    invalid("", std::string("expected an object {\"spec\": \"...\"}, got ") + body.type_name());
  }
  std::optional<std::string> name;
  std::optional<std::string> spec;
  for (const auto& [key, value] : body.items()) {
    if (key == "name") {
      name = string_field(value, "/name");
    } else if (key == "spec") {
      spec = string_field(value, "/spec");
    } else {
      invalid("/" + key, "unknown key \"" + key + "\" (known keys: name, spec)");
    }
  }
  if (!spec) invalid("/spec", "missing \"spec\", e.g. {\"spec\": \"veth:sw-h1\"}");
  if (name) {
    const std::size_t eq = spec->find('=');
    if (eq != std::string::npos && spec->substr(0, eq).find_first_of(":,") == std::string::npos) {
      invalid("/name", "the spec names the port too (NAME=); give the name once");
    }
    if (std::string problem = port_name_problem(*name); !problem.empty()) {
      invalid("/name", "port name \"" + *name + "\" " + problem);
    }
  }
  try {
    return parse_port_spec(name ? *name + "=" + *spec : *spec);
  } catch (const Error& e) {
    invalid("/spec", e.what());
  }
}

json port_by_name(const Datapath& datapath, const std::string& name) {
  const Port* port = datapath.find_port(name);
  if (port) {
    for (const PortReport& report : datapath.port_reports()) {
      if (report.name == name) return port_json(report, *port);
    }
  }
  throw Error("no port named \"" + name + "\"", ENOENT);
}

}  // namespace

void add_port_routes(Router& router, Datapath& datapath, EventBus& events) {
  router.add(HttpMethod::get, "/v1/ports", [&datapath](const Request&) {
    json ports = json::array();
    for (const PortReport& report : datapath.port_reports()) {
      if (const Port* port = datapath.find_port(report.name)) {
        ports.push_back(port_json(report, *port));
      }
    }
    return Response::json({{"ports", ports}});
  });

  router.add(HttpMethod::get, "/v1/ports/{name}", [&datapath](const Request& request) {
    return Response::json(port_by_name(datapath, request.param("name")));
  });

  router.add(HttpMethod::post, "/v1/ports", [&datapath, &events](const Request& request) {
    const PortSpec spec = spec_from_body(request.json());
    std::vector<std::string> warnings;
    try {
      warnings = datapath.add_port(spec);
    } catch (const Error& e) {
      if (e.code() == EEXIST) throw Error(e.what(), EEXIST, "/name");
      if (e.code() == ENOSPC || e.code() == ENOMEM) throw;
      throw Error(e.what(), EINVAL, "/spec");  // the driver refused what the spec describes
    }
    json port = port_by_name(datapath, spec.name);
    events.publish("port-added", {{"name", spec.name},
                                  {"number", port["number"]},
                                  {"spec", spec.text},
                                  {"driver", port["driver"]},
                                  {"mac", port["mac"]}});
    port["warnings"] = warnings;
    Response response = Response::json(port, 201);
    response.headers.emplace_back("Location", "/v1/ports/" + spec.name);
    return response;
  });

  router.add(HttpMethod::delete_, "/v1/ports/{name}", [&datapath, &events](const Request& request) {
    const std::string& name = request.param("name");
    const Port* port = datapath.find_port(name);
    if (!port) throw Error("no port named \"" + name + "\"", ENOENT);
    const unsigned number = port->number();
    datapath.remove_port(name);
    events.publish("port-removed", {{"name", name}, {"number", number}});
    return Response::empty(204);
  });
}

}  // namespace sluice
