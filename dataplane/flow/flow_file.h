// `sluiced --flows FILE`: a flow table in the OVS-like text syntax (one rule
// per line, '#' comments; see common/rules/text.h), loaded at start.
#pragma once

#include <string>

#include "dataplane/flow/transaction.h"

namespace sluice {

// The transaction that replaces the default table with the file's rules.
// Throws sluice::Error: "flows file F: cannot read it: <strerror>" or
// "flows file F: line N: column M: 'TOKEN': <what is wrong>".
Transaction flow_file_transaction(const std::string& path);

}  // namespace sluice
