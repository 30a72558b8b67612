// main() for the nf test binaries that need DPDK: an in-memory EAL whose
// file prefix (NF_TEST_PREFIX, set per binary in meson.build) is unique.
#include "tests/unit/flow/eal_env.h"

SLUICE_EAL_TEST_MAIN(NF_TEST_PREFIX)
