#include "dataplane/l2/mac_table.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

namespace sluice {
namespace {

constexpr MacAddress kHostA = 0x020000000001;
constexpr MacAddress kHostB = 0x020000000002;
constexpr MacAddress kBroadcast = 0xffffffffffff;
constexpr MacAddress kMulticast = 0x01005e000001;

TEST(MacTable, UnknownMacIsNotFound) {
  MacTable table(1024, 300);
  EXPECT_EQ(table.lookup(kHostA, 0), MacTable::kNoPort);
}

TEST(MacTable, LearnsSourcePort) {
  MacTable table(1024, 300);
  table.learn(kHostA, 1, 10);
  table.learn(kHostB, 2, 10);
  EXPECT_EQ(table.lookup(kHostA, 10), 1);
  EXPECT_EQ(table.lookup(kHostB, 11), 2);
}

TEST(MacTable, NeverLearnsGroupOrZeroAddresses) {
  MacTable table(1024, 300);
  table.learn(kBroadcast, 1, 0);
  table.learn(kMulticast, 1, 0);
  table.learn(0, 1, 0);
  EXPECT_EQ(table.lookup(kBroadcast, 0), MacTable::kNoPort);
  EXPECT_EQ(table.lookup(kMulticast, 0), MacTable::kNoPort);
  EXPECT_TRUE(table.dump(0).empty());
}

TEST(MacTable, GroupBitDecidesFlooding) {
  EXPECT_TRUE(mac_is_group(kBroadcast));
  EXPECT_TRUE(mac_is_group(kMulticast));
  EXPECT_TRUE(mac_is_group(0x333300000001));  // IPv6 multicast
  EXPECT_FALSE(mac_is_group(kHostA));
  const uint8_t bytes[6] = {0x02, 0, 0, 0, 0, 0x01};
  EXPECT_EQ(mac_from_bytes(bytes), kHostA);
}

TEST(MacTable, StationMovesBetweenPorts) {
  MacTable table(1024, 300);
  table.learn(kHostA, 1, 10);
  table.learn(kHostA, 3, 12);
  EXPECT_EQ(table.lookup(kHostA, 12), 3);
  EXPECT_EQ(table.dump(12).size(), 1u);
}

TEST(MacTable, EntriesAgeOutAfterAgingTime) {
  MacTable table(1024, 300);
  table.learn(kHostA, 1, 100);
  EXPECT_EQ(table.lookup(kHostA, 400), 1);
  EXPECT_EQ(table.lookup(kHostA, 401), MacTable::kNoPort);
  EXPECT_EQ(table.age(400), 0u);
  EXPECT_EQ(table.age(401), 1u);
  EXPECT_TRUE(table.dump(401).empty());
}

TEST(MacTable, SeeingAStationAgainRefreshesIt) {
  MacTable table(1024, 300);
  table.learn(kHostA, 1, 100);
  table.learn(kHostA, 1, 350);
  EXPECT_EQ(table.lookup(kHostA, 600), 1);
  EXPECT_EQ(table.age(600), 0u);
}

TEST(MacTable, FlushPortForgetsOnlyThatPort) {
  MacTable table(1024, 300);
  table.learn(kHostA, 1, 0);
  table.learn(kHostB, 2, 0);
  EXPECT_EQ(table.flush_port(1), 1u);
  EXPECT_EQ(table.lookup(kHostA, 0), MacTable::kNoPort);
  EXPECT_EQ(table.lookup(kHostB, 0), 2);
}

TEST(MacTable, FullTableEvictsLeastRecentlySeen) {
  MacTable table(MacTable::kWays, 300);  // a single bucket
  ASSERT_EQ(table.capacity(), MacTable::kWays);
  for (unsigned i = 0; i < MacTable::kWays; ++i) table.learn(0x020000000100 + i, 1, 10 + i);
  table.learn(kHostA, 2, 50);
  EXPECT_EQ(table.evictions(), 1u);
  EXPECT_EQ(table.lookup(0x020000000100, 50), MacTable::kNoPort);  // seen first, evicted
  EXPECT_EQ(table.lookup(0x020000000101, 50), 1);
  EXPECT_EQ(table.lookup(kHostA, 50), 2);
}

TEST(MacTable, ExpiredSlotIsReusedWithoutEviction) {
  MacTable table(MacTable::kWays, 10);
  for (unsigned i = 0; i < MacTable::kWays; ++i) table.learn(0x020000000100 + i, 1, 0);
  table.learn(kHostA, 2, 100);
  EXPECT_EQ(table.evictions(), 0u);
  EXPECT_EQ(table.lookup(kHostA, 100), 2);
}

TEST(MacTable, ConcurrentLearnersAgreeWithLookups) {
  MacTable table(1 << 16, 300);
  constexpr unsigned kThreads = 4;
  constexpr unsigned kMacs = 5000;
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < kThreads; ++t) {
    threads.emplace_back([&table, t] {
      for (unsigned round = 0; round < 20; ++round) {
        for (unsigned i = 0; i < kMacs; ++i) {
          // Every thread learns every MAC on the port derived from the MAC.
          table.learn(0x020000000000 + i, static_cast<uint16_t>(i % 7), 5);
          uint16_t port = table.lookup(0x020000000000 + (i * 31 + t) % kMacs, 5);
          ASSERT_TRUE(port == MacTable::kNoPort || port == ((i * 31 + t) % kMacs) % 7);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (unsigned i = 0; i < kMacs; ++i) ASSERT_EQ(table.lookup(0x020000000000 + i, 5), i % 7);
}

}  // namespace
}  // namespace sluice
