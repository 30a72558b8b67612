// Test plugin: a well-formed descriptor that claims the next NF ABI version.
// The loader must refuse it from the descriptor alone; its factory aborts
// the test binary if it is ever called.
#include <cstdlib>

#include "nf/sdk/plugin_abi.h"

namespace {
const sluice::nf::NfFactory* never_called() {
  std::abort();
}
}  // namespace

extern "C" __attribute__((
    visibility("default"))) constinit const sluice_nf_descriptor sluice_nf_descriptor_v1 = {
    sluice::nf::kNfPluginMagic,
    sluice::nf::kNfAbiVersion + 1,
    sluice::nf::kDpdkVersion,
    sluice::nf::kJsonVersion,
    "wrong_abi",
    &never_called};
