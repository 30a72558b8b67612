// The router built as sluice_nf_router.so: it loads through the plugin
// loader (same ABI checks as every plugin) and routes like the built-in class.
#include <cstdlib>

#include "tests/unit/nf/router_fixture.h"

namespace sluice::test {
namespace {

class RouterPlugin : public RouterFixture {
 protected:
  void SetUp() override { registry = nf::NfRegistry(); }  // no built-ins
};

TEST_F(RouterPlugin, LoadsAndAnswersArp) {
  const char* path = std::getenv("SLUICE_NF_ROUTER_PLUGIN");
  ASSERT_NE(path, nullptr) << "run through meson test";
  EXPECT_EQ(registry.add_plugin(path), "router");
  make(two_interfaces());
  const RouterOutput r = run({arp_frame(1, kBroadcast, kH1Mac, "10.1.0.2", "10.1.0.1")}, 1);
  ASSERT_EQ(r.sent.size(), 1u);
  EXPECT_EQ(get16(r.sent[0].bytes, 20), 2) << "ARP reply";
  router.reset();  // before the registry (and the plugin) go
}

}  // namespace
}  // namespace sluice::test
