// The NF classes built into sluiced. Each is also built as a plugin
// (nf/<name>/plugin.cc) to keep the plugin path exercised.
#include "nf/firewall/firewall.h"
#include "nf/host/nf_registry.h"
#include "nf/router/router.h"

namespace sluice::nf {

namespace {
constinit const NfFactoryOf<Firewall> kFirewallFactory{};
constinit const NfFactoryOf<Router> kRouterFactory{};
}  // namespace

NfRegistry NfRegistry::with_builtins() {
  NfRegistry registry;
  registry.add(kFirewallFactory);
  registry.add(kRouterFactory);
  return registry;
}

}  // namespace sluice::nf
