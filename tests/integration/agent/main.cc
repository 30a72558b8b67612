// The agent tests share one EAL (two lcores: the worker runs on lcore 1).
#include "tests/support/eal_fixture.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new sluice::test::EalEnvironment("0-1"));
  return RUN_ALL_TESTS();
}
