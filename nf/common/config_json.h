// Checks shared by NF configuration parsers: every error is a sluice::Error
// with EINVAL, the message "<what> config: <path>: <problem>" and the JSON
// pointer of the offending field as path(). Control path only.
#pragma once

#include <cerrno>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/error.h"

namespace sluice::nf::config_json {

// `what` names the configuration ("router", "firewall").
[[noreturn]] inline void fail(std::string_view what, const std::string& path,
                              const std::string& problem) {
  throw Error(std::string(what) + " config: " + path + ": " + problem, EINVAL, path);
}

// `j` is an object whose keys are all in `keys`.
inline void check_object(std::string_view what, const nlohmann::json& j, const std::string& path,
                         std::initializer_list<std::string_view> keys) {
  if (!j.is_object()) fail(what, path.empty() ? "/" : path, "must be an object");
  for (const auto& [key, value] : j.items()) {
    bool known = false;
    for (std::string_view k : keys) known = known || k == key;
    if (!known) fail(what, path + "/" + key, "unknown key");
  }
}

}  // namespace sluice::nf::config_json
