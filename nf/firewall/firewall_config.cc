#include "nf/firewall/firewall_config.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cerrno>
#include <cmath>
#include <initializer_list>
#include <string_view>

#include "common/error.h"
#include "nf/common/config_json.h"

namespace sluice::nf {

const char* fw_action_name(FwAction a) {
  switch (a) {
    case FwAction::allow:
      return "allow";
    case FwAction::deny:
      return "deny";
    case FwAction::reject:
      return "reject";
  }
  return "?";
}

namespace {

using nlohmann::json;

[[noreturn]] void bad(const std::string& path, const std::string& what) {
  config_json::fail("firewall", path, what);
}

void check_object(const json& j, const std::string& path,
                  std::initializer_list<std::string_view> keys) {
  config_json::check_object("firewall", j, path, keys);
}

std::string text(const json& j, const std::string& path) {
  if (!j.is_string()) bad(path, "must be a string");
  return j.get<std::string>();
}

bool choice(const json& j, const std::string& path, const char* yes, const char* no) {
  const std::string s = text(j, path);
  if (s == yes) return true;
  if (s != no) bad(path, std::string("must be \"") + yes + "\" or \"" + no + "\"");
  return false;
}

uint64_t number(const json& j, const std::string& path, uint64_t max) {
  if (!j.is_number_integer() || j.get<int64_t>() < 0 || j.get<uint64_t>() > max)
    bad(path, "must be a whole number from 0 to " + std::to_string(max));
  return j.get<uint64_t>();
}

FwAction action(const json& j, const std::string& path) {
  const std::string s = text(j, path);
  if (s == "allow") return FwAction::allow;
  if (s == "deny") return FwAction::deny;
  if (s == "reject") return FwAction::reject;
  bad(path, "must be \"allow\", \"deny\" or \"reject\"");
}

// "A.B.C.D[/N]" or "X:Y::Z[/N]"; host bits are cleared.
Prefix prefix(const json& j, const std::string& path, uint8_t& family) {
  const std::string s = text(j, path);
  const auto slash = s.find('/');
  const std::string addr = s.substr(0, slash);
  Prefix p;
  if (inet_pton(AF_INET, addr.c_str(), p.addr.data()) == 1)
    family = 4;
  else if (inet_pton(AF_INET6, addr.c_str(), p.addr.data()) == 1)
    family = 6;
  else
    bad(path, "'" + s + "' is not an IPv4 or IPv6 address or prefix");
  p.len = static_cast<uint8_t>(
      config_json::prefix_length("firewall", s, slash, family == 4 ? 32 : 128, path));
  config_json::clear_host_bits(p.addr, p.len);
  return p;
}

// n, "lo-hi" or [lo, hi], each within 0..max.
Range range(const json& j, const std::string& path, uint16_t max) {
  auto bound = [&](const json& v) { return static_cast<uint16_t>(number(v, path, max)); };
  Range r;
  if (j.is_number()) {
    r.lo = r.hi = bound(j);
  } else if (j.is_array() && j.size() == 2) {
    r.lo = bound(j[0]);
    r.hi = bound(j[1]);
  } else if (j.is_string()) {
    const std::string s = j.get<std::string>();
    const auto dash = s.find('-');
    const std::string lo = s.substr(0, dash),
                      hi = dash == std::string::npos ? lo : s.substr(dash + 1);
    auto digits = [](const std::string& t) {
      return !t.empty() && t.size() <= 5 && t.find_first_not_of("0123456789") == std::string::npos;
    };
    if (!digits(lo) || !digits(hi) || std::stoul(lo) > max || std::stoul(hi) > max)
      bad(path, "'" + s + "' is not a number or range 'lo-hi' within 0-" + std::to_string(max));
    r.lo = static_cast<uint16_t>(std::stoul(lo));
    r.hi = static_cast<uint16_t>(std::stoul(hi));
  } else {
    bad(path, "must be a number, \"lo-hi\" or [lo, hi]");
  }
  if (r.lo > r.hi) bad(path, "range starts above its end");
  return r;
}

int protocol(const json& j, const std::string& path) {
  if (j.is_number()) return static_cast<int>(number(j, path, 255));
  const std::string s = text(j, path);
  if (s == "tcp") return IPPROTO_TCP;
  if (s == "udp") return IPPROTO_UDP;
  if (s == "sctp") return IPPROTO_SCTP;
  if (s == "icmp") return IPPROTO_ICMP;
  if (s == "icmpv6" || s == "ipv6-icmp") return IPPROTO_ICMPV6;
  bad(path, "unknown protocol '" + s + "' (tcp, udp, sctp, icmp, icmpv6 or 0-255)");
}

void set_family(FirewallRule& r, uint8_t family, const std::string& path) {
  if (r.family != 0 && r.family != family)
    bad(path, "mixes IPv4 and IPv6 (IPv" + std::to_string(r.family) + " set before)");
  r.family = family;
}

FirewallRule rule(const json& j, const std::string& path) {
  check_object(j, path,
               {"name", "action", "ip", "in_port", "src", "dst", "proto", "src_port", "dst_port",
                "icmp_type", "icmp_code"});
  FirewallRule r;
  if (!j.contains("action")) bad(path + "/action", "is required");
  r.action = action(j["action"], path + "/action");
  if (j.contains("name")) r.name = text(j["name"], path + "/name");
  if (j.contains("ip")) {
    const uint64_t v = number(j["ip"], path + "/ip", 6);
    if (v != 4 && v != 6) bad(path + "/ip", "must be 4 or 6");
    r.family = static_cast<uint8_t>(v);
  }
  if (j.contains("in_port"))
    r.in_port = static_cast<int>(number(j["in_port"], path + "/in_port", 65535));
  for (const char* key : {"src", "dst"}) {
    if (!j.contains(key)) continue;
    uint8_t family = 0;
    Prefix p = prefix(j[key], path + "/" + key, family);
    set_family(r, family, path + "/" + key);
    (key[0] == 's' ? r.src : r.dst) = p;
  }
  if (j.contains("proto")) {
    r.proto = protocol(j["proto"], path + "/proto");
    if (r.proto == IPPROTO_ICMP) set_family(r, 4, path + "/proto");
    if (r.proto == IPPROTO_ICMPV6) set_family(r, 6, path + "/proto");
  }
  const bool ports = r.proto == IPPROTO_TCP || r.proto == IPPROTO_UDP || r.proto == IPPROTO_SCTP;
  const bool icmp = r.proto == IPPROTO_ICMP || r.proto == IPPROTO_ICMPV6;
  for (const char* key : {"src_port", "dst_port"}) {
    if (!j.contains(key)) continue;
    if (!ports) bad(path + "/" + key, "needs \"proto\" tcp, udp or sctp");
    (key[0] == 's' ? r.src_port : r.dst_port) = range(j[key], path + "/" + key, 65535);
  }
  for (const char* key : {"icmp_type", "icmp_code"}) {
    if (!j.contains(key)) continue;
    if (!icmp) bad(path + "/" + key, "needs \"proto\" icmp or icmpv6");
    Range v = range(j[key], path + "/" + key, 255);
    (key[5] == 't' ? r.src_port : r.dst_port) = v;
  }
  return r;
}

uint64_t seconds(const json& j, const std::string& path) {
  if (!j.is_number() || j.get<double>() < 0 || j.get<double>() > 1e7)
    bad(path, "must be a number of seconds from 0 to 10000000");
  return static_cast<uint64_t>(std::llround(j.get<double>() * 1e9));
}

void conntrack(const json& j, FirewallSettings& s) {
  check_object(j, "/conntrack", {"size", "timeouts"});
  if (j.contains("size")) {
    const uint64_t size = number(j["size"], "/conntrack/size", kMaxConntrackSize);
    if (size < kMinConntrackSize)
      bad("/conntrack/size", "must be at least " + std::to_string(kMinConntrackSize));
    s.conntrack_size = static_cast<uint32_t>(size);
  }
  if (!j.contains("timeouts")) return;
  const json& t = j["timeouts"];
  check_object(t, "/conntrack/timeouts",
               {"tcp_syn", "tcp_established", "tcp_fin", "tcp_closed", "udp", "icmp"});
  const std::pair<const char*, uint64_t*> fields[] = {
      {"tcp_syn", &s.timeouts.tcp_syn}, {"tcp_established", &s.timeouts.tcp_established},
      {"tcp_fin", &s.timeouts.tcp_fin}, {"tcp_closed", &s.timeouts.tcp_closed},
      {"udp", &s.timeouts.udp},         {"icmp", &s.timeouts.icmp}};
  for (const auto& [key, field] : fields)
    if (t.contains(key)) *field = seconds(t[key], std::string("/conntrack/timeouts/") + key);
}

}  // namespace

FirewallConfig parse_firewall_config(const json& j) {
  FirewallConfig c;
  c.source = j.is_null() ? json::object() : j;
  check_object(c.source, "",
               {"default", "rules", "fragments", "non_ip", "ipv6_nd", "tcp_loose", "conntrack"});
  FirewallSettings& s = c.settings;
  const json& src = c.source;
  if (src.contains("default")) s.default_action = action(src["default"], "/default");
  if (src.contains("fragments"))
    s.fragments_allow = choice(src["fragments"], "/fragments", "allow", "drop");
  if (src.contains("non_ip")) s.non_ip_allow = choice(src["non_ip"], "/non_ip", "allow", "drop");
  if (src.contains("ipv6_nd"))
    s.ipv6_nd_allow = choice(src["ipv6_nd"], "/ipv6_nd", "allow", "rules");
  if (src.contains("tcp_loose")) {
    if (!src["tcp_loose"].is_boolean()) bad("/tcp_loose", "must be true or false");
    s.tcp_loose = src["tcp_loose"].get<bool>();
  }
  if (src.contains("conntrack")) conntrack(src["conntrack"], s);
  if (src.contains("rules")) {
    const json& rules = src["rules"];
    if (!rules.is_array()) bad("/rules", "must be an array");
    if (rules.size() > kMaxFirewallRules)
      bad("/rules", "has more than " + std::to_string(kMaxFirewallRules) + " rules");
    for (size_t i = 0; i < rules.size(); ++i)
      c.rules.push_back(rule(rules[i], "/rules/" + std::to_string(i)));
  }
  return c;
}

}  // namespace sluice::nf
