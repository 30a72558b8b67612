// main() for test binaries that share one EAL with two lcores (the
// forwarding worker runs on lcore 1).
#include "tests/support/eal_fixture.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new sluice::test::EalEnvironment("0-1"));
  return RUN_ALL_TESTS();
}
