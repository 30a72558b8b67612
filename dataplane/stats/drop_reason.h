// Why the switch dropped a packet. Every dropped packet is counted under
// exactly one reason, per port and per worker.
#pragma once

#include <cstdint>

namespace sluice {

enum class DropReason : uint8_t {
  runt,           // shorter than an Ethernet header
  same_port,      // destination learned on the input port (no hairpin)
  no_other_port,  // flood with no port besides the input one
  tx_full,        // the output queue did not take it
  port_down,      // output port removed or not ready
  kCount,
};

inline constexpr unsigned kDropReasons = static_cast<unsigned>(DropReason::kCount);

inline const char* drop_reason_name(DropReason reason) {
  switch (reason) {
    case DropReason::runt: return "runt";
    case DropReason::same_port: return "same_port";
    case DropReason::no_other_port: return "no_other_port";
    case DropReason::tx_full: return "tx_full";
    case DropReason::port_down: return "port_down";
    case DropReason::kCount: break;
  }
  return "unknown";
}

}  // namespace sluice
