#include "common/rules/field.h"

#include <arpa/inet.h>

#include <array>
#include <charconv>
#include <cstdio>
#include <cstring>

namespace sluice {
namespace {

using F = Field;
using Fmt = FieldFormat;

constexpr std::array<FieldInfo, kFieldCount> kFields = {{
    {F::in_port, "in_port", 16, Fmt::decimal, false, false},
    {F::eth_src, "eth_src", 48, Fmt::mac, false, true},
    {F::eth_dst, "eth_dst", 48, Fmt::mac, false, true},
    {F::eth_type, "eth_type", 16, Fmt::hex, false, false},
    {F::vlan_vid, "vlan_vid", 13, Fmt::decimal, false, true},
    {F::vlan_pcp, "vlan_pcp", 3, Fmt::decimal, false, true},
    {F::ip_proto, "ip_proto", 8, Fmt::decimal, false, false},
    {F::ip_dscp, "ip_dscp", 6, Fmt::decimal, false, true},
    {F::ipv4_src, "ipv4_src", 32, Fmt::ipv4, false, true},
    {F::ipv4_dst, "ipv4_dst", 32, Fmt::ipv4, false, true},
    {F::ipv6_src, "ipv6_src", 128, Fmt::ipv6, false, true},
    {F::ipv6_dst, "ipv6_dst", 128, Fmt::ipv6, false, true},
    {F::tcp_src, "tcp_src", 16, Fmt::decimal, true, true},
    {F::tcp_dst, "tcp_dst", 16, Fmt::decimal, true, true},
    {F::udp_src, "udp_src", 16, Fmt::decimal, true, true},
    {F::udp_dst, "udp_dst", 16, Fmt::decimal, true, true},
    {F::sctp_src, "sctp_src", 16, Fmt::decimal, true, true},
    {F::sctp_dst, "sctp_dst", 16, Fmt::decimal, true, true},
    {F::icmpv4_type, "icmpv4_type", 8, Fmt::decimal, false, false},
    {F::icmpv4_code, "icmpv4_code", 8, Fmt::decimal, false, false},
    {F::icmpv6_type, "icmpv6_type", 8, Fmt::decimal, false, false},
    {F::icmpv6_code, "icmpv6_code", 8, Fmt::decimal, false, false},
    {F::tcp_flags, "tcp_flags", 12, Fmt::hex, false, false},
    {F::arp_op, "arp_op", 8, Fmt::decimal, false, false},
    {F::arp_spa, "arp_spa", 32, Fmt::ipv4, false, false},
    {F::arp_tpa, "arp_tpa", 32, Fmt::ipv4, false, false},
    {F::metadata, "metadata", 64, Fmt::hex, false, false},
    {F::reg0, "reg0", 32, Fmt::hex, false, true},
    {F::reg1, "reg1", 32, Fmt::hex, false, true},
    {F::reg2, "reg2", 32, Fmt::hex, false, true},
    {F::reg3, "reg3", 32, Fmt::hex, false, true},
    {F::reg4, "reg4", 32, Fmt::hex, false, true},
    {F::reg5, "reg5", 32, Fmt::hex, false, true},
    {F::reg6, "reg6", 32, Fmt::hex, false, true},
    {F::reg7, "reg7", 32, Fmt::hex, false, true},
}};

struct Alias {
  const char* name;
  Field field;
};
constexpr Alias kAliases[] = {
    {"dl_src", F::eth_src},        {"dl_dst", F::eth_dst},         {"dl_type", F::eth_type},
    {"dl_vlan", F::vlan_vid},      {"dl_vlan_pcp", F::vlan_pcp},   {"nw_proto", F::ip_proto},
    {"nw_src", F::ipv4_src},       {"nw_dst", F::ipv4_dst},        {"icmp_type", F::icmpv4_type},
    {"icmp_code", F::icmpv4_code}, {"arp_sip", F::arp_spa},        {"arp_tip", F::arp_tpa},
    {"ip_src", F::ipv4_src},       {"ip_dst", F::ipv4_dst},        {"ipv6_sip", F::ipv6_src},
    {"ipv6_dip", F::ipv6_dst},     {"icmp6_type", F::icmpv6_type}, {"icmp6_code", F::icmpv6_code},
};

constexpr uint16_t kIp4 = 0x0800, kIp6 = 0x86dd, kArp = 0x0806;
constexpr Prerequisite kIpAny{F::eth_type, {kIp4, kIp6}};
constexpr Prerequisite kIpv4{F::eth_type, {kIp4, 0}};
constexpr Prerequisite kIpv6{F::eth_type, {kIp6, 0}};
constexpr Prerequisite kArpP{F::eth_type, {kArp, 0}};
constexpr Prerequisite kVlan{F::vlan_vid, {0, 0}};  // special: VLAN present
constexpr Prerequisite kTcp[] = {kIpAny, {F::ip_proto, {6, 0}}};
constexpr Prerequisite kUdp[] = {kIpAny, {F::ip_proto, {17, 0}}};
constexpr Prerequisite kSctp[] = {kIpAny, {F::ip_proto, {132, 0}}};
constexpr Prerequisite kIcmp4[] = {kIpv4, {F::ip_proto, {1, 0}}};
constexpr Prerequisite kIcmp6[] = {kIpv6, {F::ip_proto, {58, 0}}};

std::string hex(u128 v) {
  char buf[40];
  uint64_t hi = static_cast<uint64_t>(v >> 64), lo = static_cast<uint64_t>(v);
  if (hi != 0)
    snprintf(buf, sizeof buf, "0x%llx%016llx", static_cast<unsigned long long>(hi),
             static_cast<unsigned long long>(lo));
  else
    snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(lo));
  return buf;
}

std::optional<u128> parse_mac(std::string_view s) {
  if (s.size() != 17) return std::nullopt;
  u128 v = 0;
  for (int i = 0; i < 6; ++i) {
    if (i > 0 && s[i * 3 - 1] != ':') return std::nullopt;
    unsigned b = 0;
    auto r = std::from_chars(s.data() + i * 3, s.data() + i * 3 + 2, b, 16);
    if (r.ec != std::errc() || r.ptr != s.data() + i * 3 + 2) return std::nullopt;
    v = (v << 8) | b;
  }
  return v;
}

std::optional<u128> parse_inet(int af, std::string_view s) {
  if (s.size() > 45) return std::nullopt;
  char buf[46];
  memcpy(buf, s.data(), s.size());
  buf[s.size()] = 0;
  unsigned char out[16];
  if (inet_pton(af, buf, out) != 1) return std::nullopt;
  u128 v = 0;
  for (int i = 0; i < (af == AF_INET ? 4 : 16); ++i) v = (v << 8) | out[i];
  return v;
}

// Length of a prefix mask, or -1 if `mask` is not one.
int prefix_len(u128 mask, unsigned bits) {
  u128 full = bits >= 128 ? ~u128{0} : ((u128{1} << bits) - 1);
  for (unsigned len = 0; len <= bits; ++len) {
    u128 m = len == 0 ? 0 : (full & ~((len >= bits) ? u128{0} : ((u128{1} << (bits - len)) - 1)));
    if (m == mask) return static_cast<int>(len);
  }
  return -1;
}

}  // namespace

const FieldInfo& field_info(Field f) {
  return kFields[static_cast<unsigned>(f)];
}

std::optional<Field> field_by_name(std::string_view name) {
  for (const auto& fi : kFields)
    if (name == fi.name) return fi.id;
  for (const auto& a : kAliases)
    if (name == a.name) return a.field;
  return std::nullopt;
}

const Prerequisite* field_prerequisites(Field f, unsigned& n) {
  switch (f) {
    case F::vlan_pcp:
      n = 1;
      return &kVlan;
    case F::ip_proto:
    case F::ip_dscp:
      n = 1;
      return &kIpAny;
    case F::ipv4_src:
    case F::ipv4_dst:
      n = 1;
      return &kIpv4;
    case F::ipv6_src:
    case F::ipv6_dst:
      n = 1;
      return &kIpv6;
    case F::tcp_src:
    case F::tcp_dst:
    case F::tcp_flags:
      n = 2;
      return kTcp;
    case F::udp_src:
    case F::udp_dst:
      n = 2;
      return kUdp;
    case F::sctp_src:
    case F::sctp_dst:
      n = 2;
      return kSctp;
    case F::icmpv4_type:
    case F::icmpv4_code:
      n = 2;
      return kIcmp4;
    case F::icmpv6_type:
    case F::icmpv6_code:
      n = 2;
      return kIcmp6;
    case F::arp_op:
    case F::arp_spa:
    case F::arp_tpa:
      n = 1;
      return &kArpP;
    default:
      n = 0;
      return nullptr;
  }
}

std::optional<uint64_t> parse_number(std::string_view s) {
  if (s.empty()) return std::nullopt;
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  }
  uint64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<u128> parse_field_value(Field f, std::string_view s) {
  const FieldInfo& fi = field_info(f);
  std::optional<u128> v;
  switch (fi.format) {
    case Fmt::mac:
      v = parse_mac(s);
      break;
    case Fmt::ipv4:
      v = parse_inet(AF_INET, s);
      break;
    case Fmt::ipv6:
      v = parse_inet(AF_INET6, s);
      break;
    default: {
      if (f == F::vlan_vid) {
        if (s == "none") return u128{0};
        auto n = parse_number(s);
        if (!n || *n > 0x1fff) return std::nullopt;
        return u128{*n < kVlanPresent ? (*n | kVlanPresent) : *n};
      }
      auto n = parse_number(s);
      if (n) v = *n;
    }
  }
  if (v && (*v & ~field_full_mask(f)) != 0) return std::nullopt;
  return v;
}

std::optional<u128> parse_field_mask(Field f, std::string_view s) {
  const FieldInfo& fi = field_info(f);
  if ((fi.format == Fmt::ipv4 || fi.format == Fmt::ipv6) && s.find_first_of(".:") == s.npos) {
    auto len = parse_number(s);
    if (!len || *len > fi.bits || s.starts_with("0x")) return std::nullopt;
    if (*len == 0) return u128{0};
    return field_full_mask(f) & ~((u128{1} << (fi.bits - *len)) - 1);
  }
  if (f == F::vlan_vid) {
    auto n = parse_number(s);
    if (!n || *n > 0x1fff) return std::nullopt;
    return u128{*n};
  }
  return parse_field_value(f, s);
}

std::string format_field_value(Field f, u128 v) {
  const FieldInfo& fi = field_info(f);
  switch (fi.format) {
    case Fmt::mac: {
      char buf[18];
      snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", unsigned(v >> 40) & 0xff,
               unsigned(v >> 32) & 0xff, unsigned(v >> 24) & 0xff, unsigned(v >> 16) & 0xff,
               unsigned(v >> 8) & 0xff, unsigned(v) & 0xff);
      return buf;
    }
    case Fmt::ipv4:
    case Fmt::ipv6: {
      int n = fi.format == Fmt::ipv4 ? 4 : 16;
      unsigned char bytes[16];
      for (int i = 0; i < n; ++i) bytes[i] = static_cast<unsigned char>(v >> (8 * (n - 1 - i)));
      char buf[INET6_ADDRSTRLEN];
      inet_ntop(n == 4 ? AF_INET : AF_INET6, bytes, buf, sizeof buf);
      return buf;
    }
    case Fmt::hex:
      return hex(v);
    case Fmt::decimal:
      if (f == F::vlan_vid) {
        if (v == 0) return "none";
        if (v & kVlanPresent) return std::to_string(static_cast<unsigned>(v & 0xfff));
        return hex(v);
      }
      return std::to_string(static_cast<uint64_t>(v));
  }
  return {};
}

std::string format_field_mask(Field f, u128 mask) {
  const FieldInfo& fi = field_info(f);
  if (fi.format == Fmt::ipv4 || fi.format == Fmt::ipv6) {
    int len = prefix_len(mask, fi.bits);
    if (len >= 0) return std::to_string(len);
  }
  if (fi.format == Fmt::decimal) return hex(mask);
  return format_field_value(f, mask);
}

}  // namespace sluice
