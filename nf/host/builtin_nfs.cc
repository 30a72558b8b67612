// The NF classes built into sluiced. Each is also built as a plugin
// (nf/<name>/plugin.cc) to keep the plugin path exercised.
#include "nf/firewall/firewall.h"
#include "nf/host/nf_registry.h"

namespace sluice::nf {

namespace {
constinit const NfFactoryOf<Firewall> kFirewallFactory{};
}  // namespace

NfRegistry NfRegistry::with_builtins() {
  NfRegistry registry;
  registry.add(kFirewallFactory);
  return registry;
}

}  // namespace sluice::nf
