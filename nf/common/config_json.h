// Checks shared by NF configuration parsers: every error is a sluice::Error
// with EINVAL, the message "<what> config: <path>: <problem>" and the JSON
// pointer of the offending field as path(). Control path only.
#pragma once

#include <cerrno>
#include <cstddef>
#include <cstdint>
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

// The length in prefix text "ADDRESS/LEN" (`slash` is the position of '/',
// npos when there is none: then `max`, the address family's full length).
// LEN must be decimal digits from 0 to `max`.
inline unsigned prefix_length(std::string_view what, const std::string& text, std::size_t slash,
                              unsigned max, const std::string& path) {
  if (slash == std::string::npos) return max;
  const std::string bits = text.substr(slash + 1);
  if (bits.empty() || bits.size() > 3 ||
      bits.find_first_not_of("0123456789") != std::string::npos || std::stoul(bits) > max)
    fail(what, path, "prefix length of '" + text + "' must be 0 to " + std::to_string(max));
  return static_cast<unsigned>(std::stoul(bits));
}

// Clears the bits of the 16-byte address `addr` after its first `len`.
template <typename Bytes>
void clear_host_bits(Bytes& addr, unsigned len) {
  static_assert(sizeof(addr) == 16);
  for (unsigned bit = len; bit < 128; ++bit)
    addr[bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
}

}  // namespace sluice::nf::config_json
