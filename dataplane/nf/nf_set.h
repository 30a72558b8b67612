// The network-function instances as the forwarding workers see them: an
// immutable snapshot from instance number to instance, published by the
// control thread (NfManager) with a release store and replaced, never
// modified, when an instance is created or deleted. The old snapshot, and a
// deleted instance, are freed after an RCU grace period, so a worker may use
// what it loaded until its next quiescent state.
#pragma once

#include <array>
#include <cstdint>

#include "nf/host/nf_instance.h"

namespace sluice {

// Instance numbers are 1..kMaxNfNumber (the `N` of the nf:N action).
inline constexpr uint32_t kMaxNfNumber = 255;

struct NfSet {
  std::array<nf::NfInstance*, kMaxNfNumber + 1> by_number{};  // [0] unused

  nf::NfInstance* find(uint32_t number) const noexcept {
    return number <= kMaxNfNumber ? by_number[number] : nullptr;
  }
};

}  // namespace sluice
