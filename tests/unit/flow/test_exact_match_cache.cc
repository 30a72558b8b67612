// ExactMatchCache (exact_match_cache.h): its two slots per key (both hold
// entries, a key whose slots are both fresh evicts one of them, stale slots
// go before fresh ones, keys that share a first slot spread over their
// second slots) and its insertion throttle (every miss is admitted until a
// window of kWindow lookups has fewer than 1 hit in 4, then one in
// kThrottle for the next window, and all again once a window hits often
// enough). Pure logic: no EAL, no packets; hashes are chosen by the test.
#include <gtest/gtest.h>

#include <set>

#include "dataplane/flow/exact_match_cache.h"

namespace sluice {
namespace {

constexpr uint32_t kHashA = 0x12340003, kHashB = 0x56780011;  // their slots differ

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

// Whether key n is cached at `generation` with path(n).
bool cached(const KeyCache& emc, uint32_t h, uint64_t n, uint64_t generation) {
  FlowPath out;
  if (!emc.lookup(key(n), h, generation, out)) return false;
  EXPECT_EQ(out.miss_table, n) << "key " << n << " found with another key's path";
  return true;
}

TEST(ExactMatchCacheSlots, BothSlotsOfAHashHoldAnEntry) {
  KeyCache emc(256);
  ASSERT_NE(emc.first_slot(kHashA), emc.second_slot(kHashA));
  emc.insert(key(0), kHashA, 1, path(0));
  emc.insert(key(1), kHashA, 1, path(1));
  EXPECT_TRUE(cached(emc, kHashA, 0, 1));
  EXPECT_TRUE(cached(emc, kHashA, 1, 1));
  EXPECT_FALSE(cached(emc, kHashA, 2, 1)) << "never inserted";
  EXPECT_FALSE(cached(emc, kHashA, 1, 2)) << "other generation";
  EXPECT_FALSE(cached(emc, kHashB, 1, 1)) << "other slots";
}

TEST(ExactMatchCacheSlots, AThirdKeyEvictsOneOfTwo) {
  KeyCache emc(256);
  for (uint8_t n = 0; n < 3; ++n) emc.insert(key(n), kHashA, 1, path(n));
  EXPECT_EQ(cached(emc, kHashA, 0, 1) + cached(emc, kHashA, 1, 1), 1);
  EXPECT_TRUE(cached(emc, kHashA, 2, 1)) << "the newest";
}

TEST(ExactMatchCacheSlots, StaleSlotsGoBeforeFreshOnes) {
  KeyCache emc(256);
  emc.insert(key(0), kHashA, 1, path(0));
  emc.insert(key(1), kHashA, 1, path(1));
  // Generation 2: refill A's slots with new keys while B takes inserts in
  // between, so that taking slots in turn would evict a fresh entry of A.
  for (uint8_t n = 0; n < 2; ++n) {
    emc.insert(key(100 + n), kHashA, 2, path(100 + n));
    emc.insert(key(200 + n), kHashB, 2, path(200 + n));
  }
  for (uint8_t n = 0; n < 2; ++n) {
    EXPECT_TRUE(cached(emc, kHashA, 100 + n, 2)) << n;
    EXPECT_TRUE(cached(emc, kHashB, 200 + n, 2)) << n;
  }
}

// Keys whose hashes share the first slot but not the high bits find room
// in their second slots, which differ.
TEST(ExactMatchCacheSlots, KeysSharingAFirstSlotSpreadOverSecondSlots) {
  KeyCache emc(256);
  std::set<unsigned> seconds;
  for (uint8_t n = 0; n < 8; ++n) {
    const uint32_t h = 0x2a | uint32_t{n} << 16;
    ASSERT_EQ(emc.first_slot(h), emc.first_slot(0x2a));
    seconds.insert(emc.second_slot(h));
  }
  ASSERT_EQ(seconds.size(), 8u);
  emc.insert(key(0), 0x2a, 1, path(0));  // takes the shared first slot
  for (uint8_t n = 1; n < 8; ++n) emc.insert(key(n), 0x2a | uint32_t{n} << 16, 1, path(n));
  for (uint8_t n = 0; n < 8; ++n) EXPECT_TRUE(cached(emc, 0x2a | uint32_t{n} << 16, n, 1)) << n;
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
