// Why the switch dropped a packet: one named list for the whole data plane.
// Every dropped packet is counted under exactly one reason, per input (or
// output, for TX) port and per worker. Names are stable: they appear in
// statistics, metrics and the REST API.
//
// Thread-safety: constants only.
#pragma once

#include <array>
#include <cstdint>

namespace sluice {

enum class DropReason : uint8_t {
  // Ports and L2 forwarding.
  runt,           // shorter than an Ethernet header
  same_port,      // destination learned on the input port (no hairpin)
  no_other_port,  // flood with no port besides the input one
  tx_full,        // the output queue did not take it
  port_down,      // output port removed or unknown
  // Flow pipeline.
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
  controller,      // packet-in not delivered (no controller channel, or rate limit)
  kCount,
};

inline constexpr unsigned kDropReasons = static_cast<unsigned>(DropReason::kCount);

inline constexpr std::array<const char*, kDropReasons> kDropReasonNames = {
    "runt",        "same_port", "no_other_port", "tx_full",  "port_down",   "no_match",
    "action_drop", "ttl_expired", "meter",       "bad_header", "truncated", "no_group",
    "no_meter",    "unsupported", "nf_unavailable", "controller",
};

inline const char* drop_reason_name(DropReason reason) {
  const auto i = static_cast<unsigned>(reason);
  return i < kDropReasons ? kDropReasonNames[i] : "unknown";
}

}  // namespace sluice
