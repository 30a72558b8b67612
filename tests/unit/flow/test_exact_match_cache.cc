// ExactMatchCache's insertion throttle (exact_match_cache.h): every miss is
// admitted until a window of kWindow lookups has fewer than 1 hit in 4,
// then one in kThrottle for the next window, and all again once a window
// hits often enough. Pure logic: no EAL, no packets.
#include <gtest/gtest.h>

#include "dataplane/flow/exact_match_cache.h"

namespace sluice {
namespace {

unsigned admitted(KeyCache& emc, unsigned misses) {
  unsigned n = 0;
  for (unsigned i = 0; i < misses; ++i) n += emc.admit();
  return n;
}

TEST(ExactMatchCacheThrottle, AdmitsEveryMissUntilAWindowThrashes) {
  KeyCache emc(256);
  EXPECT_EQ(admitted(emc, 1000), 1000u) << "a fresh cache";
  emc.account(KeyCache::kWindow - 1, 0);
  EXPECT_EQ(admitted(emc, 1000), 1000u) << "the window is not over yet";
  emc.account(1, 0);  // a whole window without a hit
  EXPECT_EQ(admitted(emc, 32 * KeyCache::kThrottle), 32u) << "one in kThrottle";
}

TEST(ExactMatchCacheThrottle, OneHitInFourIsEnough) {
  KeyCache emc(256);
  emc.account(KeyCache::kWindow, 0);
  ASSERT_LT(admitted(emc, 100), 100u);
  emc.account(KeyCache::kWindow, KeyCache::kWindow / 4);
  EXPECT_EQ(admitted(emc, 100), 100u) << "1 hit in 4: not thrashing";
  emc.account(KeyCache::kWindow, KeyCache::kWindow / 4 - 1);
  EXPECT_LT(admitted(emc, 100), 100u) << "just under 1 in 4: thrashing";
}

}  // namespace
}  // namespace sluice
