// sluiced as users run it: two network namespaces whose veth peers are the
// switch's af_packet ports; kernel ping and TCP between them.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/support/netns_lab.h"
#include "tests/support/sluiced_run.h"

namespace sluice {
namespace {

using test::shell;
using test::shell_output;

using test::sluiced_path;

std::vector<std::string> sluiced_args(const std::vector<std::string>& ports) {
  std::vector<std::string> args{sluiced_path(), "--stats-format", "json", "--listen",
                                "127.0.0.1:0"};
  for (const auto& port : ports) {
    args.push_back("--port");
    args.push_back(port);
  }
  for (const char* a : {"--", "-l", "0-1", "--no-huge", "-m", "512"}) args.push_back(a);
  return args;
}

// Parameter: the port shorthand, "veth" (af_packet) or "afxdp".
class VethSwitchTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(lab_.add_host("h1", "10.199.0.1/24"));
    ASSERT_TRUE(lab_.add_host("h2", "10.199.0.2/24"));
    log_ = "/tmp/sluice-systest-" + std::to_string(getpid()) + ".log";
    switch_ = std::make_unique<test::Process>(sluiced_args({GetParam() + ":" + lab_.outside("h1"),
                                                            GetParam() + ":" + lab_.outside("h2")}),
                                              log_);
    ASSERT_TRUE(switch_->wait_for("forwarding on", std::chrono::seconds(20))) << switch_->log();
  }
  void TearDown() override {
    if (switch_) {
      EXPECT_EQ(switch_->stop(), 0) << switch_->log();
    }
    std::remove(log_.c_str());
  }

  // Asks sluiced for its counters (SIGUSR1) and returns the newest JSON line.
  nlohmann::json stats() {
    const std::size_t before = switch_->log().size();
    kill(switch_->pid(), SIGUSR1);
    for (int i = 0; i < 100; ++i) {
      std::string log = switch_->log();
      auto start = log.find("{\"type\":\"stats\"", before);
      if (start != std::string::npos && log.find('\n', start) != std::string::npos) {
        return nlohmann::json::parse(log.substr(start, log.find('\n', start) - start));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "no stats line in: " << switch_->log();
    return {};
  }

  test::Lab lab_{"st"};
  std::string log_;
  std::unique_ptr<test::Process> switch_;
};

TEST_P(VethSwitchTest, PingCrossesTheSwitch) {
  EXPECT_EQ(shell(lab_.exec("h1") + "ping -c 3 -i 0.2 -W 2 10.199.0.2 >/dev/null"), 0)
      << switch_->log();
}

TEST_P(VethSwitchTest, ArpLearningShowsInCounters) {
  ASSERT_EQ(shell(lab_.exec("h1") + "ping -c 2 -i 0.2 -W 2 10.199.0.2 >/dev/null"), 0);
  nlohmann::json s = stats();
  ASSERT_EQ(s["ports"].size(), 2u);
  for (const auto& port : s["ports"]) {
    EXPECT_GE(port["rx_packets"].get<uint64_t>(), 3u) << port;  // ARP + 2 ICMP
    EXPECT_GE(port["tx_packets"].get<uint64_t>(), 3u) << port;
    EXPECT_EQ(port["drops"]["runt"], 0) << port;
  }
  std::map<std::string, int> learned;
  for (const auto& entry : s["macs"]) learned[entry["mac"]] = entry["port"];
  EXPECT_EQ(learned[lab_.mac("h1")], 1) << s["macs"];
  EXPECT_EQ(learned[lab_.mac("h2")], 2) << s["macs"];
}

TEST_P(VethSwitchTest, TcpTransferCompletes) {
  ASSERT_EQ(shell(lab_.exec("h2") + "iperf3 -s -1 -D"), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::string out = shell_output(lab_.exec("h1") + "timeout 20 iperf3 -c 10.199.0.2 -t 2 -J");
  nlohmann::json result = nlohmann::json::parse(out, nullptr, false);
  ASSERT_FALSE(result.is_discarded()) << out << "\n" << switch_->log();
  ASSERT_FALSE(result.contains("error")) << result["error"] << "\n" << switch_->log();
  const double received = result["end"]["sum_received"]["bytes"].get<double>();
  EXPECT_GT(received, 1e6) << out;
}

TEST_P(VethSwitchTest, RestAgentReportsThePortsCounters) {
  ASSERT_EQ(shell(lab_.exec("h1") + "ping -c 2 -i 0.2 -W 2 10.199.0.2 >/dev/null"), 0);
  const std::string log = switch_->log();
  const std::string url = test::agent_url(log);
  ASSERT_FALSE(url.empty()) << log;
  nlohmann::json ports =
      nlohmann::json::parse(shell_output("curl -sf " + url + "/v1/ports"), nullptr, false);
  ASSERT_TRUE(ports.is_object() || ports.is_array()) << ports;
  const nlohmann::json& list = ports.is_array() ? ports : ports["ports"];
  ASSERT_EQ(list.size(), 2u) << ports;
  EXPECT_EQ(list[0]["name"], lab_.outside("h1"));
  EXPECT_EQ(list[1]["name"], lab_.outside("h2"));
}

TEST_P(VethSwitchTest, SwitchTurnsOffOffloadsOnItsPorts) {
  std::string features = shell_output("ethtool -k " + lab_.outside("h1"));
  EXPECT_NE(features.find("tx-checksumming: off"), std::string::npos) << features;
  EXPECT_NE(features.find("tcp-segmentation-offload: off"), std::string::npos) << features;
  EXPECT_NE(features.find("generic-segmentation-offload: off"), std::string::npos) << features;
}

// A flow table from --flows steers kernel traffic: ICMP dropped, TCP passes.
TEST(SluicedFlows, FlowFileDropsIcmpButLetsTcpThrough) {
  test::Lab lab("sf");
  ASSERT_TRUE(lab.add_host("h1", "10.198.0.1/24"));
  ASSERT_TRUE(lab.add_host("h2", "10.198.0.2/24"));
  const std::string flows = "/tmp/sluice-systest-flows-" + std::to_string(getpid()) + ".txt";
  std::ofstream(flows) << "# no ping between the hosts\n"
                          "table=0,priority=100,icmp,actions=drop\n"
                          "table=0,priority=0,actions=normal\n";
  std::vector<std::string> args =
      sluiced_args({"veth:" + lab.outside("h1"), "veth:" + lab.outside("h2")});
  args.insert(args.begin() + 1, {"--flows", flows});
  const std::string log = "/tmp/sluice-systest-flows-" + std::to_string(getpid()) + ".log";
  test::Process sluiced(args, log);
  ASSERT_TRUE(sluiced.wait_for("forwarding on", std::chrono::seconds(20))) << sluiced.log();
  EXPECT_NE(shell(lab.exec("h1") + "ping -c 2 -i 0.2 -W 1 10.198.0.2 >/dev/null"), 0);
  ASSERT_EQ(shell(lab.exec("h2") + "iperf3 -s -1 -D"), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(shell(lab.exec("h1") + "timeout 20 iperf3 -c 10.198.0.2 -t 1 >/dev/null"), 0)
      << sluiced.log();
  EXPECT_EQ(sluiced.stop(), 0);
  const std::string out = sluiced.log();
  EXPECT_NE(out.find("2 rules from " + flows), std::string::npos) << out;
  EXPECT_NE(out.find("action_drop=2"), std::string::npos) << out;  // the two echo requests
  std::remove(flows.c_str());
  std::remove(log.c_str());
}

INSTANTIATE_TEST_SUITE_P(KernelPorts, VethSwitchTest, ::testing::Values("veth", "afxdp"),
                         [](const auto& info) { return info.param; });

TEST(SluicedStartup, MissingInterfaceIsAClearError) {
  std::string log = "/tmp/sluice-systest-missing-" + std::to_string(getpid()) + ".log";
  test::Process sluiced(sluiced_args({"veth:sl-nosuchif"}), log);
  for (int i = 0; i < 200 && sluiced.running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(sluiced.exit_code(), 1);
  EXPECT_NE(sluiced.log().find("error: port sl-nosuchif (veth:sl-nosuchif): no such interface "
                               "sl-nosuchif: create it"),
            std::string::npos)
      << sluiced.log();
  std::remove(log.c_str());
}

// With real hugepages when scripts/setup could reserve them, else --no-huge.
TEST(SluicedShutdown, SigtermLeavesNoHugepageOrRuntimeFiles) {
  std::string log = "/tmp/sluice-systest-shutdown-" + std::to_string(getpid()) + ".log";
  test::Process sluiced({sluiced_path(), "--listen", "none", "--port", "n1=null", "--port",
                         "n2=null", "--", "-l", "0-1"},
                        log);
  ASSERT_TRUE(sluiced.wait_for("forwarding on", std::chrono::seconds(20))) << sluiced.log();
  const std::string runtime_dir = "/var/run/dpdk/sluice-" + std::to_string(sluiced.pid());
  EXPECT_EQ(sluiced.stop(), 0) << sluiced.log();
  EXPECT_EQ(shell_output("ls -A /dev/hugepages 2>/dev/null"), "");
  EXPECT_NE(shell("test -e " + runtime_dir), 0) << runtime_dir << " left behind";
  EXPECT_NE(sluiced.log().find("final counters"), std::string::npos) << sluiced.log();
  std::remove(log.c_str());
}

}  // namespace
}  // namespace sluice
