// Packets described in JSON, for POST /v1/trace and POST /v1/packet-out:
//   {"in_port":1,"hex":"ffffffffffff0200000000..."}            raw bytes
//   {"in_port":1,"eth_dst":"02:00:00:00:00:02","eth_type":2048,
//    "ipv4_dst":"10.0.0.1","ip_proto":6,"tcp_dst":80}          header fields
// Field names are those of rules (common/rules/field.h, aliases too); values
// are numbers or strings in the field's text format, exact (no masks).
// Fields not given are zero (vlan_vid: no tag).
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "dataplane/flow/flow_key.h"

namespace sluice {

inline constexpr size_t kMaxPacketBytes = 9216;

// Bytes from a hex string (whitespace and ':' between bytes allowed), 14 to
// kMaxPacketBytes bytes. Throws sluice::Error (EINVAL) naming `path`.
std::vector<uint8_t> bytes_from_hex(const nlohmann::json& j, const std::string& path);

// A FlowKey from the field form (every member but "in_port", which the
// caller reads). Throws sluice::Error (EINVAL) naming the member.
FlowKey flow_key_from_json(const nlohmann::json& j, uint16_t in_port);

// The non-zero fields of `key`, in the field form.
nlohmann::json flow_key_to_json(const FlowKey& key);

}  // namespace sluice
