// The action half of a rule: an ordered list applied to the packet
// (OpenFlow apply-actions semantics: an output sends the packet as it is at
// that point of the list).
//
// Thread-safety: plain value types.
#pragma once

#include <cstdint>
#include <vector>

#include "common/rules/field.h"

namespace sluice {

enum class ActionType : uint8_t {
  output,          // arg = port number
  flood,           // every port but the input port
  normal,          // the MAC-learning L2 switch
  drop,            // explicit drop; only allowed as the sole action
  controller,      // packet-in; arg = max_len (bytes of the packet sent)
  set_field,       // field <- value (eth, ipv4, ipv6, dscp, L4 ports, vlan)
  push_vlan,       // arg = TPID (0x8100 or 0x88a8); VID/PCP 0 until set_field
  pop_vlan,        // removes the outer VLAN tag (no-op if none)
  dec_ttl,         // IPv4 TTL / IPv6 hop limit; drop at zero
  group,           // arg = group id
  meter,           // arg = meter id
  goto_table,      // arg = table; must be last, to a later table
  write_metadata,  // metadata = (metadata & ~mask) | (value & mask)
  set_reg,         // field = regN <- value (text: load:VALUE->regN)
  nf,              // arg = network-function instance
};

// True for the actions that hand the packet to a destination (each one needs
// its own copy of the packet when a list has several).
inline constexpr bool is_destination(ActionType t) {
  switch (t) {
    case ActionType::output:
    case ActionType::flood:
    case ActionType::normal:
    case ActionType::controller:
    case ActionType::group:
    case ActionType::nf:
      return true;
    default:
      return false;
  }
}

inline constexpr uint32_t kControllerMaxLenAll = 0xffff;

struct Action {
  ActionType type = ActionType::drop;
  uint32_t arg = 0;
  Field field = Field::in_port;  // set_field, set_reg
  u128 value = 0;                // set_field, set_reg, write_metadata
  uint64_t mask = 0;             // write_metadata
  bool operator==(const Action&) const = default;

  static Action output(uint32_t port) { return {ActionType::output, port}; }
  static Action simple(ActionType t, uint32_t arg = 0) { return {t, arg}; }
  static Action set(Field f, u128 v) { return {ActionType::set_field, 0, f, v}; }
  static Action load(Field reg, uint32_t v) { return {ActionType::set_reg, 0, reg, v}; }
  static Action write_metadata(uint64_t v, uint64_t m) {
    return {ActionType::write_metadata, 0, Field::metadata, v, m};
  }
};

using ActionList = std::vector<Action>;

// Name used in text ("output", "set_field", ...) and in JSON "type".
const char* action_name(ActionType t);

}  // namespace sluice
