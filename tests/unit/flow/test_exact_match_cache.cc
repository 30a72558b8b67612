// ExactMatchCache (exact_match_cache.h): its sets and tags (every way of a
// set holds an entry, a full set gives up one way per insert, stale ways go
// before fresh ones) and its insertion throttle (every miss is admitted
// until a window of kWindow lookups has fewer than 1 hit in 4, then one in
// kThrottle for the next window, and all again once a window hits often
// enough). Pure logic: no EAL, no packets; hashes are chosen by the test.
#include <gtest/gtest.h>

#include "dataplane/flow/exact_match_cache.h"

namespace sluice {
namespace {

constexpr uint32_t kSetA = 3, kSetB = 17;  // set indices of a 256-entry cache

ArrivalKey key(uint64_t n) {
  ArrivalKey k{};
  k.w[0] = n;
  return k;
}
// A path told apart by its miss table: not one rule, so the side array
// holds it.
FlowPath path(uint8_t n) {
  FlowPath p;
  p.missed = true;
  p.miss_table = n;
  return p;
}
// The hash of key n in `set` (tag n: every key its own tag, or tag 0: all
// keys share one).
uint32_t hash_in(uint32_t set, uint32_t tag) { return set | tag << 16; }

// Whether key n is cached at `generation` with path(n).
bool cached(const KeyCache& emc, uint32_t h, uint64_t n, uint64_t generation) {
  FlowPath out;
  if (!emc.lookup(key(n), h, generation, out)) return false;
  EXPECT_EQ(out.miss_table, n) << "key " << n << " found with another key's path";
  return true;
}

TEST(ExactMatchCacheSets, EveryWayOfASetHoldsAnEntry) {
  for (const bool shared_tag : {false, true}) {
    KeyCache emc(256);
    for (uint8_t n = 0; n < KeyCache::kWays; ++n)
      emc.insert(key(n), hash_in(kSetA, shared_tag ? 0 : n), 1, path(n));
    for (uint8_t n = 0; n < KeyCache::kWays; ++n)
      EXPECT_TRUE(cached(emc, hash_in(kSetA, shared_tag ? 0 : n), n, 1)) << n << shared_tag;
    EXPECT_FALSE(cached(emc, hash_in(kSetA, 0), KeyCache::kWays, 1)) << "never inserted";
    EXPECT_FALSE(cached(emc, hash_in(kSetA, shared_tag ? 0 : 1), 1, 2)) << "other generation";
    EXPECT_FALSE(cached(emc, hash_in(kSetB, shared_tag ? 0 : 1), 1, 1)) << "other set";
  }
}

TEST(ExactMatchCacheSets, AFullSetGivesUpOneWay) {
  KeyCache emc(256);
  for (uint8_t n = 0; n <= KeyCache::kWays; ++n) emc.insert(key(n), hash_in(kSetA, n), 1, path(n));
  unsigned kept = 0;
  for (uint8_t n = 0; n < KeyCache::kWays; ++n) kept += cached(emc, hash_in(kSetA, n), n, 1);
  EXPECT_EQ(kept, KeyCache::kWays - 1);
  EXPECT_TRUE(cached(emc, hash_in(kSetA, KeyCache::kWays), KeyCache::kWays, 1)) << "the newest";
}

TEST(ExactMatchCacheSets, StaleWaysGoBeforeFreshOnes) {
  KeyCache emc(256);
  for (uint8_t n = 0; n < KeyCache::kWays; ++n) emc.insert(key(n), hash_in(kSetA, n), 1, path(n));
  // Generation 2: refill set A with new keys while another set takes inserts
  // in between, so that taking ways in turn would evict fresh entries of A.
  for (uint8_t n = 0; n < KeyCache::kWays; ++n) {
    emc.insert(key(100 + n), hash_in(kSetA, 100 + n), 2, path(100 + n));
    emc.insert(key(200 + n), hash_in(kSetB, 200 + n), 2, path(200 + n));
  }
  for (uint8_t n = 0; n < KeyCache::kWays; ++n) {
    EXPECT_TRUE(cached(emc, hash_in(kSetA, 100 + n), 100 + n, 2)) << n;
    EXPECT_TRUE(cached(emc, hash_in(kSetB, 200 + n), 200 + n, 2)) << n;
  }
}

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
