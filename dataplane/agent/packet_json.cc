#include "dataplane/agent/packet_json.h"

#include <cctype>
#include <cerrno>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "dataplane/agent/flow_json.h"

namespace sluice {
namespace {

using nlohmann::json;

[[noreturn]] void fail(const std::string& path, const std::string& message) {
  throw Error(path + ": " + message, EINVAL, path);
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

}  // namespace

std::vector<uint8_t> bytes_from_hex(const json& j, const std::string& path) {
  if (!j.is_string()) fail(path, "expected a string of hex digits");
  std::vector<uint8_t> out;
  int high = -1;
  const std::string text = j.get<std::string>();
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (std::isspace(static_cast<unsigned char>(c)) || c == ':') {
      if (high >= 0) fail(path, "odd number of hex digits before column " + std::to_string(i + 1));
      continue;
    }
    const int d = hex_digit(c);
    if (d < 0) fail(path, "'" + std::string(1, c) + "' at column " + std::to_string(i + 1) +
                              " is not a hex digit");
    if (high < 0) {
      high = d;
    } else {
      out.push_back(static_cast<uint8_t>(high << 4 | d));
      high = -1;
    }
  }
  if (high >= 0) fail(path, "odd number of hex digits");
  if (out.size() < 14 || out.size() > kMaxPacketBytes)
    fail(path, "a frame is 14 to " + std::to_string(kMaxPacketBytes) + " bytes, got " +
                   std::to_string(out.size()));
  return out;
}

FlowKey flow_key_from_json(const json& j, uint16_t in_port) {
  FlowKey key;
  key.clear();
  key.in_port = in_port;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() == "in_port") continue;
    const std::string path = "/" + it.key();
    auto field = field_by_name(it.key());
    if (!field) fail(path, "unknown field '" + it.key() + "'");
    std::optional<u128> v;
    if (it->is_string())
      v = parse_field_value(*field, it->get<std::string>());
    else
      v = json_unsigned(*it, path, ~uint64_t{0});
    if (!v || (*v & ~field_full_mask(*field)) != 0)
      fail(path, std::string("not a valid ") + field_info(*field).name);
    if (*field == Field::vlan_vid || *field == Field::vlan_pcp) key.vlan_tci |= kVlanPresent;
    if (*field == Field::vlan_vid)
      key_set(key, *field, (*v & 0xfff) | kVlanPresent);
    else
      key_set(key, *field, *v);
  }
  return key;
}

json flow_key_to_json(const FlowKey& key) {
  json j = json::object();
  // Fields sharing storage are shown once, by their most common name.
  for (Field f : {Field::in_port, Field::eth_src, Field::eth_dst, Field::eth_type,
                  Field::vlan_vid, Field::vlan_pcp, Field::ip_proto, Field::ip_dscp}) {
    const u128 v = key_get(key, f);
    if (v == 0) continue;
    j[field_info(f).name] = f == Field::eth_src || f == Field::eth_dst
                                ? json(format_field_value(f, v))
                                : json(static_cast<uint64_t>(f == Field::vlan_vid ? v & 0xfff : v));
  }
  const bool v4 = key.eth_type == 0x0800, v6 = key.eth_type == 0x86dd, arp = key.eth_type == 0x0806;
  auto put = [&](Field f) {
    const u128 v = key_get(key, f);
    if (v == 0) return;
    const FieldFormat fmt = field_info(f).format;
    j[field_info(f).name] = fmt == FieldFormat::ipv4 || fmt == FieldFormat::ipv6 ||
                                    fmt == FieldFormat::mac
                                ? json(format_field_value(f, v))
                                : json(static_cast<uint64_t>(v));
  };
  if (v4) put(Field::ipv4_src), put(Field::ipv4_dst);
  if (v6) put(Field::ipv6_src), put(Field::ipv6_dst);
  if (arp) put(Field::arp_spa), put(Field::arp_tpa);
  if (v4 || v6) {
    if (key.ip_proto == 6) put(Field::tcp_src), put(Field::tcp_dst), put(Field::tcp_flags);
    if (key.ip_proto == 17) put(Field::udp_src), put(Field::udp_dst);
    if (key.ip_proto == 132) put(Field::sctp_src), put(Field::sctp_dst);
    if (key.ip_proto == 1) put(Field::icmpv4_type), put(Field::icmpv4_code);
    if (key.ip_proto == 58) put(Field::icmpv6_type), put(Field::icmpv6_code);
  }
  put(Field::metadata);
  for (unsigned r = 0; r < 8; ++r)
    put(static_cast<Field>(static_cast<unsigned>(Field::reg0) + r));
  return j;
}

}  // namespace sluice
