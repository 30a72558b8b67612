#include <gtest/gtest.h>

#include <deque>

#include "dataplane/flow/rule_identity_map.h"

namespace sluice {
namespace {

Match udp_from(uint32_t src) {
  Match m;
  m.set_exact(Field::eth_type, 0x0800);
  m.set_exact(Field::ip_proto, 17);
  m.set_exact(Field::ipv4_src, src);
  return m;
}

TEST(RuleIdentity, EqualMatchesHashAlikeWhereverTheyLive) {
  Match a = udp_from(1), b = udp_from(1), c = udp_from(2);
  EXPECT_EQ(RuleIdentity::of(0, 10, a), RuleIdentity::of(0, 10, b));
  EXPECT_EQ(RuleIdentity::of(0, 10, a).hash, RuleIdentity::of(0, 10, b).hash);
  EXPECT_FALSE(RuleIdentity::of(0, 10, a) == RuleIdentity::of(0, 10, c));
  EXPECT_FALSE(RuleIdentity::of(0, 10, a) == RuleIdentity::of(0, 11, a));
  EXPECT_FALSE(RuleIdentity::of(0, 10, a) == RuleIdentity::of(1, 10, a));
  RuleIdentity moved = RuleIdentity::of(0, 10, a).at(b);
  EXPECT_EQ(moved.match, &b);
  EXPECT_EQ(moved, RuleIdentity::of(0, 10, a));
}

TEST(RuleIdentityMap, FindsInsertsAndErases) {
  std::deque<Match> matches;
  RuleIdentityMap<int> map;
  EXPECT_EQ(map.find(RuleIdentity::of(0, 1, udp_from(0))), map.npos);
  for (int i = 0; i < 5000; ++i) {
    matches.push_back(udp_from(static_cast<uint32_t>(i)));
    map.insert(RuleIdentity::of(0, 1, matches.back()), i);
  }
  EXPECT_EQ(map.size(), 5000u);
  for (int i = 0; i < 5000; i += 2) map.erase(map.find(RuleIdentity::of(0, 1, matches[i])));
  EXPECT_EQ(map.size(), 2500u);
  for (int i = 0; i < 5000; ++i) {
    Match probe = udp_from(static_cast<uint32_t>(i));  // another copy of the same match
    size_t pos = map.find(RuleIdentity::of(0, 1, probe));
    if (i % 2 == 0) {
      EXPECT_EQ(pos, map.npos) << i;
    } else {
      ASSERT_NE(pos, map.npos) << i;
      EXPECT_EQ(map.at(pos).value, i);
    }
  }
  size_t seen = 0;
  map.for_each([&](const RuleIdentity&, int v) {
    EXPECT_EQ(v % 2, 1);
    ++seen;
  });
  EXPECT_EQ(seen, 2500u);
}

TEST(RuleIdentityMap, CollidingHashesStayApart) {
  Match a = udp_from(1), b = udp_from(2), c = udp_from(3);
  RuleIdentity ia = RuleIdentity::of(0, 1, a), ib = ia, ic = ia;
  ib.match = &b;  // same hash, other match
  ic.match = &c;
  RuleIdentityMap<char> map;
  map.insert(ia, 'a');
  map.insert(ib, 'b');
  map.insert(ic, 'c');
  EXPECT_EQ(map.at(map.find(ib)).value, 'b');
  map.erase(map.find(ia));  // a tombstone before b and c in the probe run
  EXPECT_EQ(map.find(ia), map.npos);
  EXPECT_EQ(map.at(map.find(ib)).value, 'b');
  EXPECT_EQ(map.at(map.find(ic)).value, 'c');
  map.insert(ia, 'A');  // reuses the tombstone
  EXPECT_EQ(map.at(map.find(ia)).value, 'A');
  EXPECT_EQ(map.size(), 3u);
}

TEST(RuleIdentityMap, ReservedInsertsKeepPositions) {
  std::deque<Match> matches;
  RuleIdentityMap<int> map;
  std::vector<size_t> positions;
  for (int i = 0; i < 100; ++i) {
    matches.push_back(udp_from(static_cast<uint32_t>(i)));
    positions.push_back(map.insert(RuleIdentity::of(0, 1, matches.back()), i));
  }
  bool rehashed = map.reserve(1000);
  if (rehashed)
    for (int i = 0; i < 100; ++i) positions[i] = map.find(RuleIdentity::of(0, 1, matches[i]));
  EXPECT_FALSE(map.reserve(1000));  // already room
  for (int i = 100; i < 1100; ++i) {
    matches.push_back(udp_from(static_cast<uint32_t>(i)));
    map.insert(RuleIdentity::of(0, 1, matches.back()), i);
  }
  for (int i = 0; i < 100; ++i) EXPECT_EQ(map.at(positions[i]).value, i);
  EXPECT_TRUE(map.reserve(100000));
}

}  // namespace
}  // namespace sluice
