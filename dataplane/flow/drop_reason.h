// Why the flow pipeline dropped a packet. The Sink counts drops per reason;
// names are stable (they appear in statistics and the REST API).
//
// Thread-safety: constants only.
#pragma once

#include <array>
#include <cstdint>

namespace sluice {

enum class DropReason : uint8_t {
  no_match,        // table miss with miss behaviour "drop"
  action_drop,     // the rule says drop (explicit drop or no output action)
  ttl_expired,     // dec_ttl reached zero
  meter,           // meter coloured the packet red
  bad_header,      // an inconsistent header (IPv4 IHL, version, TCP offset)
  truncated,       // a header longer than the packet
  no_group,        // group action to a group that does not exist
  no_meter,        // meter action to a meter that does not exist
  unsupported,     // an edit the packet cannot take (headers not in the first segment)
  nf_unavailable,  // nf:INSTANCE with no such network function
};
inline constexpr unsigned kDropReasonCount = 10;

inline constexpr std::array<const char*, kDropReasonCount> kDropReasonNames = {
    "no_match",  "action_drop", "ttl_expired", "meter",       "bad_header",
    "truncated", "no_group",    "no_meter",    "unsupported", "nf_unavailable",
};

inline const char* drop_reason_name(DropReason r) {
  return kDropReasonNames[static_cast<unsigned>(r)];
}

}  // namespace sluice
