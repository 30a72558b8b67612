// NfNames: the names of the network-function instances that exist, so that
// rules may say nf:NAME (text) or {"type":"nf","instance":"NAME"} (JSON) as
// well as the instance number. A name is resolved to the number when the
// rule is parsed, and the rule keeps the number, as OpenFlow rules keep a
// group id: a rule naming an instance deleted later drops its packets as
// nf_unavailable (see docs/design/network-functions.md).
//
// The data plane's NF manager registers and unregisters instances; nothing
// is registered in a process without one, and then every name is unknown.
// Thread-safety: every function may be called from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::nf_names {

void add(const std::string& name, uint32_t number);
void remove(const std::string& name);
std::optional<uint32_t> find(std::string_view name);

}  // namespace sluice::nf_names
