// Match fields of the rule model: names, widths, text formats and
// OpenFlow-style prerequisites. Shared by the switch and the controller; no
// DPDK.
//
// Thread-safety: everything here is immutable or pure; any thread may call it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice {

// Values and masks of every field fit in 128 bits (IPv6 addresses are the
// widest). Addresses are held as big-endian numbers (10.0.0.1 == 0x0a000001).
using u128 = unsigned __int128;

enum class Field : uint8_t {
  in_port,
  eth_src,
  eth_dst,
  eth_type,
  vlan_vid,  // 13 bits: 0x1000 = "a VLAN tag is present", low 12 bits = VID
  vlan_pcp,
  ip_proto,
  ip_dscp,
  ipv4_src,
  ipv4_dst,
  ipv6_src,
  ipv6_dst,
  tcp_src,
  tcp_dst,
  udp_src,
  udp_dst,
  sctp_src,
  sctp_dst,
  icmpv4_type,
  icmpv4_code,
  icmpv6_type,
  icmpv6_code,
  tcp_flags,
  arp_op,
  arp_spa,
  arp_tpa,
  metadata,
  reg0,
  reg1,
  reg2,
  reg3,
  reg4,
  reg5,
  reg6,
  reg7,
};
inline constexpr unsigned kFieldCount = static_cast<unsigned>(Field::reg7) + 1;
inline constexpr uint16_t kVlanPresent = 0x1000;

enum class FieldFormat : uint8_t { decimal, hex, mac, ipv4, ipv6 };

struct FieldInfo {
  Field id;
  const char* name;  // canonical name, used in text, JSON and error messages
  uint8_t bits;
  FieldFormat format;
  bool range_ok;  // L4 ports: native lo-hi ranges
  bool settable;  // may be the target of set_field / load
};

const FieldInfo& field_info(Field f);
inline u128 field_full_mask(Field f) {
  unsigned bits = field_info(f).bits;
  return bits >= 128 ? ~u128{0} : ((u128{1} << bits) - 1);
}

// Canonical name or OVS alias (nw_src, dl_dst, dl_type, nw_proto, dl_vlan,
// dl_vlan_pcp, icmp_type, icmp_code, ...). `tp_src`/`tp_dst` are not here:
// they depend on ip_proto and are resolved by the text parser.
std::optional<Field> field_by_name(std::string_view name);

// One prerequisite of a field: `field` must be matched exactly with one of
// `values` (a zero terminates the list).
struct Prerequisite {
  Field field;
  uint16_t values[2];
};
// Up to two prerequisites for `f` (count returned in `n`).
const Prerequisite* field_prerequisites(Field f, unsigned& n);

// Parses one value in the field's format: decimal or 0x-hex numbers, MACs
// aa:bb:cc:dd:ee:ff, dotted IPv4, IPv6 text; `vlan_vid` also accepts `none`.
// Returns nullopt when the text is not a value of that field or does not fit
// its width.
std::optional<u128> parse_field_value(Field f, std::string_view text);
// Parses a mask: a value in the field's format or, for addresses, a prefix
// length ("24"). Returns nullopt when invalid.
std::optional<u128> parse_field_mask(Field f, std::string_view text);
// Formats a value in the field's format (vlan_vid: the VID, or `none`).
std::string format_field_value(Field f, u128 value);
// Formats a mask: as a prefix length for addresses when it is one.
std::string format_field_mask(Field f, u128 mask);

// Number parsing helpers shared by the text and JSON forms: decimal or 0x-hex.
std::optional<uint64_t> parse_number(std::string_view text);

}  // namespace sluice
