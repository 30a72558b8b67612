// HeaderSignature's contract (dataplane/flow/header_signature.h): for two
// common frames, equal signatures <=> equal FlowKeys, and every common frame
// parses. Checked over thousands of random frames drawn from small value
// sets (so that equal keys are frequent) and then damaged at random: bytes
// outside the key changed, headers made inconsistent, frames cut short or
// split over two segments.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "dataplane/flow/flow_extract.h"
#include "dataplane/flow/header_signature.h"
#include "tests/support/packet_builder.h"
#include "tests/unit/flow/eal_env.h"

namespace sluice {
namespace {

using test::Bytes;
using test::PacketSpec;

struct Sample {
  bool common = false;
  HeaderSignature sig{};
  ParseStatus status = ParseStatus::ok;
  FlowKey key{};
};

// `bytes` as an mbuf whose first segment holds `first` bytes (all if 0).
rte_mbuf* make_frame(const Bytes& bytes, size_t first) {
  if (first == 0 || first >= bytes.size()) return test::make_mbuf(bytes);
  rte_mbuf* head = test::make_mbuf(Bytes(bytes.begin(), bytes.begin() + static_cast<long>(first)));
  rte_mbuf* tail = test::make_mbuf(Bytes(bytes.begin() + static_cast<long>(first), bytes.end()));
  if (head == nullptr || tail == nullptr || rte_pktmbuf_chain(head, tail) != 0) {
    rte_pktmbuf_free(head);
    rte_pktmbuf_free(tail);
    return nullptr;
  }
  return head;
}

Sample sample(const Bytes& bytes, uint16_t in_port, size_t first = 0) {
  rte_mbuf* m = make_frame(bytes, first);
  EXPECT_NE(m, nullptr);
  Sample s;
  if (m == nullptr) return s;
  s.common = header_signature(m, in_port, s.sig);
  s.status = extract_flow_key(m, in_port, s.key);
  rte_pktmbuf_free(m);
  return s;
}

class RandomFrames {
 public:
  explicit RandomFrames(uint32_t seed) : rng_(seed) {}

  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

  Bytes frame() {
    PacketSpec s;
    s.dst[5] = static_cast<uint8_t>(2 + pick(2));
    s.src[0] = static_cast<uint8_t>(2 + 4 * pick(2));
    const int type = pick(10);
    if (type == 0) s.eth_type = 0x86dd;
    if (type == 1) s.vlan_tcis = {static_cast<uint16_t>(100 + pick(2))};
    if (type == 2) s.eth_type = 0x0806;
    static const uint8_t protos[] = {6, 6, 17, 17, 1, 58, 47};
    s.proto = protos[pick(7)];
    s.ip_src = 0x0a000001 + static_cast<uint32_t>(pick(2));
    s.ip_dst = 0x0a000102 + (static_cast<uint32_t>(pick(2)) << 24);
    s.dscp = static_cast<uint8_t>(pick(2) * 46);
    s.ttl = static_cast<uint8_t>(1 + pick(255));
    static const uint16_t frags[] = {0, 0, 0, 0x4000, 0x2000, 0x0001};
    s.frag = frags[pick(6)];
    s.sport = static_cast<uint16_t>(1000 + pick(2));
    s.dport = static_cast<uint16_t>(pick(2) ? 80 : 0x5000);
    s.tcp_flags = static_cast<uint8_t>(pick(2) ? 0x02 : 0x12);
    s.icmp_type = static_cast<uint8_t>(pick(2) ? 8 : 0);
    s.icmp_code = static_cast<uint8_t>(pick(2));
    s.payload = static_cast<size_t>(pick(3) == 0 ? pick(4) : 6 + pick(40));
    Bytes b = test::build_packet(s);
    damage(b, s.eth_type == 0x0800 && s.vlan_tcis.empty());
    return b;
  }

 private:
  // Random changes; `ipv4` says where the IPv4 header is (offset 14).
  void damage(Bytes& b, bool ipv4) {
    const int what = pick(12);
    if (ipv4 && b.size() >= 34) {
      if (what >= 4 && b.size() < 48) return;
      switch (what) {
        case 0:  // ECN bits: not in the key
          b[15] = static_cast<uint8_t>((b[15] & 0xfc) | pick(4));
          break;
        case 1:  // IP id and checksum: not in the key
          b[18] = static_cast<uint8_t>(pick(256));
          b[24] = static_cast<uint8_t>(pick(256));
          b[25] = static_cast<uint8_t>(pick(256));
          break;
        case 2:  // IHL
          b[14] = static_cast<uint8_t>(0x40 | pick(16));
          break;
        case 3:  // total length
          test::set16(b, 16, static_cast<uint16_t>(test::get16(b, 16) + pick(9) - 4));
          break;
        case 4:  // TCP data offset (or UDP checksum bytes, payload)
          b[46] = static_cast<uint8_t>((pick(16) << 4) | (b[46] & 0x0f));
          break;
        case 5:  // TCP sequence, UDP length / checksum: not in the key
          b[38] = static_cast<uint8_t>(pick(256));
          b[41] = static_cast<uint8_t>(pick(256));
          break;
        default:
          break;
      }
    }
    if (pick(8) == 0 && b.size() > 14)
      b.resize(14 + static_cast<size_t>(pick(static_cast<int>(b.size()) - 14)));
  }

  std::mt19937 rng_;
};

TEST(HeaderSignature, EqualSignaturesIffEqualKeysOverRandomFrames) {
  RandomFrames gen(20261125);
  std::vector<Sample> common;
  size_t others = 0, split = 0;
  for (int i = 0; i < 6000; ++i) {
    const Bytes b = gen.frame();
    const uint16_t in_port = static_cast<uint16_t>(1 + gen.pick(2));
    const size_t first = gen.pick(4) == 0 ? static_cast<size_t>(20 + gen.pick(40)) : 0;
    split += first != 0;
    Sample s = sample(b, in_port, first);
    if (!s.common) {
      ++others;
      continue;
    }
    ASSERT_EQ(s.status, ParseStatus::ok) << "frame " << i << ": a common frame must parse";
    common.push_back(s);
  }
  size_t equal = 0;
  for (size_t i = 0; i < common.size(); ++i) {
    for (size_t j = i + 1; j < common.size(); ++j) {
      const bool same_key = common[i].key == common[j].key;
      ASSERT_EQ(common[i].sig == common[j].sig, same_key) << "frames " << i << " and " << j;
      if (same_key) {
        ASSERT_EQ(common[i].sig.hash(), common[j].sig.hash());
        ++equal;
      }
    }
  }
  // The draw must exercise both sides of the contract.
  EXPECT_GT(common.size(), 1000u);
  EXPECT_GT(others, 1000u);
  EXPECT_GT(split, 500u);
  EXPECT_GT(equal, 1000u);
}

TEST(HeaderSignature, WhatIsCommon) {
  PacketSpec udp;
  udp.proto = 17;
  udp.payload = 1;  // 43 bytes: a frame as a veth delivers it, unpadded
  EXPECT_TRUE(sample(test::build_packet(udp), 1).common);
  PacketSpec icmp;
  icmp.proto = 1;
  EXPECT_TRUE(sample(test::build_packet(icmp), 1).common);
  PacketSpec tcp;
  EXPECT_TRUE(sample(test::build_packet(tcp), 1).common);
  // TCP flags in a second segment: not common (but still parses).
  const Sample split = sample(test::build_packet(tcp), 1, 44);
  EXPECT_FALSE(split.common);
  EXPECT_EQ(split.status, ParseStatus::ok);
  PacketSpec later_fragment;
  later_fragment.frag = 0x0010;
  EXPECT_FALSE(sample(test::build_packet(later_fragment), 1).common);
  PacketSpec tagged;
  tagged.vlan_tcis = {10};
  EXPECT_FALSE(sample(test::build_packet(tagged), 1).common);
  PacketSpec gre;
  gre.proto = 47;
  EXPECT_FALSE(sample(test::build_packet(gre), 1).common);
}

TEST(HeaderSignature, InputPortAndTcpFlagsAreInIt) {
  PacketSpec syn;
  PacketSpec syn_ack;
  syn_ack.tcp_flags = 0x12;
  const Sample a = sample(test::build_packet(syn), 1);
  EXPECT_FALSE(a.sig == sample(test::build_packet(syn), 2).sig);
  EXPECT_FALSE(a.sig == sample(test::build_packet(syn_ack), 1).sig);
  EXPECT_TRUE(a.sig == sample(test::build_packet(syn), 1).sig);
}

// CommonFrameImage's contract: a frame that matches a common frame's image
// is common and has its signature. Over random frames (damaged as above),
// each beside a sibling whose IP id, TTL, checksum and bytes 38..45 differ.
TEST(CommonFrameImage, AMatchIsCommonWithTheSameSignature) {
  RandomFrames gen(20261206);
  std::vector<rte_mbuf*> frames;
  for (int i = 0; i < 750; ++i) {
    const size_t first = gen.pick(8) == 0 ? 48 : 0;
    Bytes frame = gen.frame();
    Bytes sibling = frame;
    for (size_t at : {18, 19, 22, 24, 25, 38, 39, 40, 41, 42, 43, 44, 45}) {
      if (at < sibling.size()) sibling[at] = static_cast<uint8_t>(gen.pick(256));
    }
    for (const Bytes* b : {&frame, &sibling}) {
      rte_mbuf* m = make_frame(*b, first);
      ASSERT_NE(m, nullptr);
      frames.push_back(m);
    }
  }
  size_t images = 0, matches = 0, rejected_equal_signatures = 0;
  for (const rte_mbuf* a : frames) {
    HeaderSignature sig_a;
    if (!header_signature(a, 1, sig_a)) continue;
    const CommonFrameImage image(a);
    ++images;
    for (const rte_mbuf* b : frames) {
      HeaderSignature sig_b;
      const bool common_b = header_signature(b, 1, sig_b);
      if (!image.matches(b)) {
        rejected_equal_signatures += common_b && sig_b == sig_a;
        continue;
      }
      ++matches;
      ASSERT_TRUE(common_b);
      ASSERT_TRUE(sig_b == sig_a);
    }
  }
  for (rte_mbuf* m : frames) rte_pktmbuf_free(m);
  EXPECT_GT(images, 300u);
  EXPECT_GT(matches, images + 200);          // more than each image matching its own frame
  EXPECT_GT(rejected_equal_signatures, 0u);  // it is stricter than the signature
}

// Which bytes of the first 48 the image compares, per protocol: all but the
// IP id, TTL and checksum, and past the L4 ports only TCP's offset and flags.
TEST(CommonFrameImage, ComparesTheHeaderBytesTheSignatureDependsOn) {
  struct Case {
    uint8_t proto;
    unsigned ignored_from;  // bytes [ignored_from, ignored_to) are ignored
    unsigned ignored_to;
  };
  for (const Case c : {Case{6, 38, 46}, Case{17, 38, 48}, Case{1, 36, 48}}) {
    PacketSpec spec;
    spec.proto = c.proto;
    spec.payload = 20;
    const Bytes frame = test::build_packet(spec);
    rte_mbuf* m = test::make_mbuf(frame);
    ASSERT_NE(m, nullptr);
    const CommonFrameImage image(m);
    EXPECT_TRUE(image.matches(m));
    for (unsigned at = 0; at < 48; ++at) {
      Bytes changed = frame;
      changed[at] ^= 0x01;
      rte_mbuf* other = test::make_mbuf(changed);
      ASSERT_NE(other, nullptr);
      const bool ignored = at == 18 || at == 19 || at == 22 || at == 24 || at == 25 ||
                           (at >= c.ignored_from && at < c.ignored_to);
      EXPECT_EQ(image.matches(other), ignored) << "proto " << int{c.proto} << " byte " << at;
      rte_pktmbuf_free(other);
    }
    Bytes longer = frame;
    longer.push_back(0);
    rte_mbuf* other = test::make_mbuf(longer);
    ASSERT_NE(other, nullptr);
    EXPECT_FALSE(image.matches(other)) << "a frame of another length";
    rte_pktmbuf_free(other);
    // The same first segment of 48 bytes, another packet length.
    rte_mbuf* head = make_frame(frame, 48);
    other = make_frame(longer, 48);
    ASSERT_NE(head, nullptr);
    ASSERT_NE(other, nullptr);
    EXPECT_TRUE(CommonFrameImage(head).matches(head));
    EXPECT_FALSE(CommonFrameImage(head).matches(other)) << "a packet of another length";
    rte_pktmbuf_free(other);
    rte_pktmbuf_free(head);
    rte_pktmbuf_free(m);
  }
  // A common frame shorter than 48 bytes has an image that matches nothing.
  PacketSpec udp;
  udp.proto = 17;
  udp.payload = 1;
  rte_mbuf* m = test::make_mbuf(test::build_packet(udp));
  ASSERT_NE(m, nullptr);
  HeaderSignature sig;
  ASSERT_TRUE(header_signature(m, 1, sig));
  EXPECT_FALSE(CommonFrameImage(m).matches(m));
  rte_pktmbuf_free(m);
}

}  // namespace
}  // namespace sluice

SLUICE_EAL_TEST_MAIN("sluice_test_header_signature")
