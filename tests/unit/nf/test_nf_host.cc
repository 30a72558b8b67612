// The host side of the NF SDK with a toy NF class: gates and drops, the
// counters an NfInstance keeps, configuration versions and their reclaim,
// the registry's errors, and the firewall's reconfigure refusing changes it
// cannot apply while keeping the old version in force.
#include <cerrno>

#include "common/error.h"
#include "tests/unit/nf/firewall_fixture.h"

namespace sluice::test {
namespace {

using nlohmann::json;

// Toy NF: packets shorter than "min" are dropped ("short"), the rest leave
// on gate 0 if their length is even, gate 1 if odd.
class Splitter final : public nf::NetworkFunction {
 public:
  static constexpr std::array<const char*, 2> kGates = {"even", "odd"};
  static constexpr std::array<const char*, 1> kReasons = {"short"};
  static constexpr nf::NfClassInfo kInfo{"splitter", "test NF", false, kGates, kReasons};
  static inline int versions_alive = 0;

  struct Version {
    explicit Version(uint32_t m) : min(m) { ++versions_alive; }
    ~Version() { --versions_alive; }
    uint32_t min;
  };

  explicit Splitter(const nf::NfInit& init)
      : reclaimer_(init.reclaimer), version_(parse(init.config)) {}

  void process(const nf::BatchContext&, const nf::PacketBatch& batch,
               nf::GateOutput& out) noexcept override {
    const Version& v = *version_.get();
    for (uint16_t i = 0; i < batch.count; ++i) {
      rte_mbuf* m = batch.pkts[i];
      if (m->pkt_len < v.min)
        out.drop(m, 0);
      else
        out.emit(m->pkt_len % 2, m);
    }
  }
  void reconfigure(const json& config) override { version_.publish(parse(config), reclaimer_); }
  json config() const override { return {{"min", version_.get()->min}}; }
  json stats() const override { return {{"min", version_.get()->min}}; }

 private:
  static std::unique_ptr<const Version> parse(const json& c) {
    if (!c.contains("min") || !c["min"].is_number_integer() || c["min"].get<int64_t>() < 0)
      throw Error("splitter: /min: must be a whole number", EINVAL, "/min");
    return std::make_unique<Version>(c["min"].get<uint32_t>());
  }
  nf::Reclaimer& reclaimer_;
  nf::Published<Version> version_;
};

constinit const nf::NfFactoryOf<Splitter> kSplitterFactory{};

// Emits on a gate it does not have and drops with a reason out of range.
class Rogue final : public nf::NetworkFunction {
 public:
  static constexpr std::array<const char*, 1> kGates = {"out"};
  static constexpr nf::NfClassInfo kInfo{"rogue", "test NF", false, kGates, {}};
  explicit Rogue(const nf::NfInit&) {}
  void process(const nf::BatchContext&, const nf::PacketBatch& batch,
               nf::GateOutput& out) noexcept override {
    out.emit(nf::kMaxGates, batch.pkts[0]);
    out.drop(batch.pkts[1], nf::kMaxDropReasons);
  }
  void reconfigure(const json&) override {}
  json config() const override { return {}; }
  json stats() const override { return {}; }
};

constinit const nf::NfFactoryOf<Rogue> kRogueFactory{};

class Host : public ::testing::Test {
 protected:
  void SetUp() override { registry.add(kSplitterFactory); }
  std::unique_ptr<nf::NfInstance> splitter(json config = {{"min", 20}}, unsigned workers = 2) {
    nf::NfInstanceSpec spec{"split", std::move(config), workers, -1};
    return registry.create("splitter", spec, reclaimer);
  }
  nf::PacketBatch batch_of(std::initializer_list<size_t> lengths) {
    nf::PacketBatch b;
    for (size_t n : lengths) b.push(make_mbuf(Bytes(n, 0xab)));
    return b;
  }
  void free_outputs() {
    for (unsigned g = 0; g < nf::kMaxGates; ++g)
      for (uint16_t i = 0; i < out.count(g); ++i) rte_pktmbuf_free(out.packets(g)[i]);
  }

  nf::NfRegistry registry;
  ImmediateReclaimer reclaimer;
  nf::GateOutput out;
};

TEST_F(Host, GatesDropsAndCounters) {
  auto nf = splitter();
  nf->process({0, 1, 0}, batch_of({64, 65, 10, 66}), out);
  EXPECT_EQ(out.count(0), 2);
  EXPECT_EQ(out.count(1), 1);
  EXPECT_EQ(out.drops(0), 1);
  EXPECT_EQ(out.packets(1)[0]->pkt_len, 65u);
  free_outputs();
  nf->process({1, 1, 0}, batch_of({9}), out);
  EXPECT_EQ(out.count(0), 0) << "cleared between batches";
  const json s = nf->stats();
  EXPECT_EQ(s["name"], "split");
  EXPECT_EQ(s["class"], "splitter");
  EXPECT_EQ(s["workers"], 2);
  EXPECT_EQ(s["packets_in"], 5);
  EXPECT_EQ(s["packets_out"], json::parse(R"({"even": 2, "odd": 1})"));
  EXPECT_EQ(s["drops"], json::parse(R"({"short": 2})"));
  EXPECT_EQ(s["contract_errors"], 0);
  EXPECT_GT(s["cycles_per_packet"].get<double>(), 0.0);
  EXPECT_EQ(s["nf"]["min"], 20);
}

TEST_F(Host, ReconfigurePublishesAndReclaimsTheOldVersion) {
  auto nf = splitter();
  EXPECT_EQ(Splitter::versions_alive, 1);
  nf->reconfigure({{"min", 100}});
  EXPECT_EQ(reclaimer.deferred, 1) << "old version handed to the host's reclaimer";
  EXPECT_EQ(Splitter::versions_alive, 1);
  nf->process({0, 1, 0}, batch_of({64}), out);
  EXPECT_EQ(out.drops(0), 1) << "the new version is in force";
  EXPECT_THROW(nf->reconfigure({{"min", "x"}}), Error);
  EXPECT_EQ(nf->config(), json::parse(R"({"min": 100})")) << "a refused config changes nothing";
  nf.reset();
  EXPECT_EQ(Splitter::versions_alive, 0);
}

TEST_F(Host, ContractErrorsAreCountedNotLost) {
  registry.add(kRogueFactory);
  auto nf = registry.create("rogue", {"r", {}, 1, -1}, reclaimer);
  nf->process({0, 1, 0}, batch_of({64, 64}), out);
  EXPECT_EQ(out.contract_errors(), 2);
  EXPECT_EQ(nf->stats()["contract_errors"], 2);
}

TEST_F(Host, NoFlowStateMeansNoConnections) {
  auto nf = splitter();
  expect_error([&] { nf->connections(0, 10); }, "this network function keeps no per-flow state",
               ENOTSUP);
}

TEST_F(Host, RegistryErrors) {
  expect_error([&] { registry.add(kSplitterFactory); },
               "NF class 'splitter' from built-in is already registered (built-in)", EEXIST);
  expect_error(
      [&] {
        registry.create("nat", {"n", {}, 1, -1}, reclaimer);
      },
      "no NF class 'nat'", ENOENT);
  expect_error(
      [&] {
        registry.create("splitter", {"bad name", {{"min", 1}}, 1, -1}, reclaimer);
      },
      "NF instance name 'bad name' may use only letters, digits, '_', '-', '.'", EINVAL);
  expect_error(
      [&] {
        registry.create("splitter", {"s", {{"min", 1}}, 0, -1}, reclaimer);
      },
      "NF instance needs 1 to 1024 workers", EINVAL);
  expect_error(
      [&] {
        registry.create("splitter", {"s", {}, 1, -1}, reclaimer);
      },
      "splitter: /min: must be a whole number", EINVAL);
}

TEST_F(Host, BuiltinsListTheirClasses) {
  const json classes = nf::NfRegistry::with_builtins().classes();
  ASSERT_EQ(classes.size(), 2u);
  EXPECT_EQ(classes[0]["name"], "firewall");
  EXPECT_EQ(classes[1]["name"], "router");
  EXPECT_EQ(classes[1]["gates"], json::array()) << "the router sends out of ports itself";
  EXPECT_EQ(classes[0]["keeps_flow_state"], true);
  EXPECT_EQ(classes[0]["gates"], json::parse(R"(["forward", "reply"])"));
  EXPECT_EQ(classes[0]["drop_reasons"][0], "truncated");
  EXPECT_EQ(classes[0]["origin"], "built-in");
}

class FirewallReconfigure : public FirewallFixture {};

TEST_F(FirewallReconfigure, NewRulesApplyAndHitsStartOver) {
  make(json::parse(R"({"rules": [{"action": "allow", "proto": "udp"}]})"));
  EXPECT_TRUE(send(udp("10.0.0.1", "10.0.0.2", 1, 2)).forwarded());
  fw->reconfigure(json::parse(R"({"rules": [{"action": "deny", "proto": "udp", "dst_port": 3}],
                                  "default": "allow"})"));
  EXPECT_EQ(send(udp("10.0.0.1", "10.0.0.2", 1, 3)).drop, "deny");
  EXPECT_TRUE(send(udp("10.0.0.1", "10.0.0.2", 1, 2)).forwarded()) << "tracked, and allowed";
  EXPECT_EQ(stats()["nf"]["generation"], 2);
  EXPECT_EQ(hits(0), 1u);
  EXPECT_EQ(fw->config()["default"], "allow");
  EXPECT_EQ(reclaimer.deferred, 1);
}

TEST_F(FirewallReconfigure, TrackedConnectionsSurviveANewRuleSet) {
  make(json::parse(R"({"rules": [{"action": "allow", "in_port": 1}]})"));
  const PacketSpec q = udp("10.0.0.1", "10.0.0.2", 1, 2);
  send(q, 1);
  fw->reconfigure(json::parse(R"({"default": "deny"})"));
  EXPECT_TRUE(send(reverse(q, 0), 2).forwarded()) << "established traffic is not cut";
  EXPECT_EQ(send(udp("10.0.0.1", "10.0.0.2", 5, 6), 1).drop, "default_deny");
}

TEST_F(FirewallReconfigure, RefusedChangesLeaveTheOldVersion) {
  make(json::parse(R"({"rules": [{"action": "allow", "proto": "udp"}],
                       "conntrack": {"size": 128}})"));
  try {
    fw->reconfigure(json::parse(R"({"conntrack": {"size": 256}})"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "firewall config: /conntrack/size: cannot change on a running firewall (it is "
                 "128); create a new instance instead");
    EXPECT_EQ(e.path(), "/conntrack/size");
  }
  EXPECT_THROW(fw->reconfigure(json::parse(R"({"rules": [{"action": "maybe"}]})")), Error);
  EXPECT_TRUE(send(udp("10.0.0.1", "10.0.0.2", 1, 2)).forwarded());
  EXPECT_EQ(stats()["nf"]["generation"], 1);
  EXPECT_EQ(reclaimer.deferred, 0);
}

}  // namespace
}  // namespace sluice::test
