// sluiced with a firewall instance between two namespaces, as users run it:
// veth ports (af_packet), --nf to create the instance, --flows to place it
// on both directions (nf:1 then output to the other port). Host A may open
// TCP to B's port 5201 and ping B; B's port 5202 is rejected (A gets a RST
// at once although B listens there); B may open nothing towards A, while
// A's connections get their replies; the same for UDP and ping. The
// firewall's counters, read over REST, match what the hosts did.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/support/netns_lab.h"
#include "tests/support/sluiced_run.h"

namespace sluice {
namespace {

using nlohmann::json;
using test::shell;
using test::shell_output;

using test::RunFiles;

class FirewallSystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(lab_.add_host("a", "10.197.0.1/24"));
    ASSERT_TRUE(lab_.add_host("b", "10.197.0.2/24"));
    std::ofstream(files_.config) << R"({
      "default": "deny",
      "rules": [
        {"name": "iperf", "action": "allow", "in_port": 1, "proto": "tcp", "dst_port": 5201},
        {"name": "refused", "action": "reject", "in_port": 1, "proto": "tcp", "dst_port": 5202},
        {"name": "ping", "action": "allow", "in_port": 1, "proto": "icmp", "icmp_type": 8},
        {"name": "udp", "action": "allow", "in_port": 1, "proto": "udp", "dst_port": 5300}
      ]})";
    std::ofstream(files_.flows) << "table=0,priority=100,in_port=1,actions=nf:1,output:2\n"
                                   "table=0,priority=100,in_port=2,actions=nf:1,output:1\n";
    sluiced_ = test::start_sluiced(
        files_,
        {"--port", "veth:" + lab_.outside("a"), "--port", "veth:" + lab_.outside("b"), "--nf",
         "fw=firewall:" + files_.config, "--flows", files_.flows},
        url_);
    ASSERT_FALSE(url_.empty()) << sluiced_->log();
    ASSERT_NE(sluiced_->log().find("NF fw (firewall) is nf:1"), std::string::npos)
        << sluiced_->log();
  }
  void TearDown() override {
    if (sluiced_) {
      EXPECT_EQ(sluiced_->stop(), 0) << sluiced_->log();
    }
  }

  json nf_stats() {
    return json::parse(shell_output("curl -sf " + url_ + "/v1/nfs/fw/stats"), nullptr, false);
  }
  // Opens TCP from `host` to ip:port with bash's /dev/tcp; the result as
  // "connected", "refused" or "timeout", and how long it took.
  std::string connect(const std::string& host, const std::string& ip, int port,
                      double* seconds = nullptr) {
    const auto start = std::chrono::steady_clock::now();
    const std::string out =
        shell_output(lab_.exec(host) + "timeout 3 bash -c 'exec 3<>/dev/tcp/" + ip + "/" +
                     std::to_string(port) + " && echo connected' 2>&1; echo status=$?");
    if (seconds)
      *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (out.find("connected\nstatus=0") != std::string::npos) return "connected";
    if (out.find("refused") != std::string::npos) return "refused";
    if (out.find("status=124") != std::string::npos) return "timeout";
    return out;
  }

  // A UDP echo server for one datagram on `host`:`port`, in the background.
  void udp_echo(const std::string& host, int port) {
    ASSERT_EQ(shell(lab_.exec(host) +
                    "python3 -c \"import socket; s = socket.socket(socket.AF_INET, "
                    "socket.SOCK_DGRAM); s.bind(('0.0.0.0', " +
                    std::to_string(port) +
                    ")); s.settimeout(10); d, a = s.recvfrom(64); s.sendto(d, a)\" "
                    ">/dev/null 2>&1 &"),
              0);
  }
  // Sends a datagram from `host` and waits 2 s for its echo; true if it came.
  bool udp_round_trip(const std::string& host, const std::string& ip, int port) {
    return shell(lab_.exec(host) +
                 "python3 -c \"import socket; s = socket.socket(socket.AF_INET, "
                 "socket.SOCK_DGRAM); s.settimeout(2); s.sendto(b'hi', ('" +
                 ip + "', " + std::to_string(port) +
                 ")); assert s.recvfrom(64)[0] == b'hi'\" >/dev/null 2>&1") == 0;
  }

  RunFiles files_{"fwtest"};
  test::Lab lab_{"fw"};
  std::string url_;
  std::unique_ptr<test::Process> sluiced_;
};

TEST_F(FirewallSystemTest, InsideOpensAllowedPortsOutsideOpensNothing) {
  ASSERT_EQ(shell(lab_.exec("b") + "iperf3 -s -D -p 5201"), 0);
  ASSERT_EQ(shell(lab_.exec("b") + "iperf3 -s -D -p 5202"), 0);
  ASSERT_EQ(shell(lab_.exec("a") + "iperf3 -s -D -p 7000"), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));

  // A -> B allowed: a TCP transfer completes (B's replies come back).
  const std::string out =
      shell_output(lab_.exec("a") + "timeout 20 iperf3 -c 10.197.0.2 -p 5201 -t 1 -J");
  const json result = json::parse(out, nullptr, false);
  ASSERT_FALSE(result.is_discarded()) << out << "\n" << sluiced_->log();
  ASSERT_FALSE(result.contains("error")) << result["error"] << "\n" << sluiced_->log();
  EXPECT_GT(result["end"]["sum_received"]["bytes"].get<double>(), 1e5);

  // A -> B:5202 rejected: refused at once, although B listens there.
  double took = 0;
  EXPECT_EQ(connect("a", "10.197.0.2", 5202, &took), "refused");
  EXPECT_LT(took, 1.5);

  // B -> A: nothing opens, not even to a listening port; no ping either.
  EXPECT_EQ(connect("b", "10.197.0.1", 7000), "timeout");
  EXPECT_NE(shell(lab_.exec("b") + "ping -c 2 -i 0.2 -W 1 10.197.0.1 >/dev/null"), 0);
  // A -> B ping is allowed, and its replies flow.
  EXPECT_EQ(shell(lab_.exec("a") + "ping -c 3 -i 0.2 -W 2 10.197.0.2 >/dev/null"), 0);
  // UDP: A's datagram to B:5300 is echoed back; B's to A is not let in.
  udp_echo("b", 5300);
  udp_echo("a", 5300);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_TRUE(udp_round_trip("a", "10.197.0.2", 5300));
  EXPECT_FALSE(udp_round_trip("b", "10.197.0.1", 5300));

  // Every packet the ports received went through the firewall once, and
  // left it on a gate or by a named drop. (Read until two reads agree: the
  // kernel may still send an IPv6 router solicitation.)
  json stats, ports;
  uint64_t received = 0;
  for (int attempt = 0; attempt < 10; ++attempt) {
    ports = json::parse(shell_output("curl -sf " + url_ + "/v1/ports"), nullptr, false);
    stats = nf_stats();
    ASSERT_TRUE(stats.is_object() && ports.is_object()) << sluiced_->log();
    received = 0;
    for (const json& port : ports["ports"])
      received += port["counters"]["rx_packets"].get<uint64_t>();
    if (received == stats["packets_in"].get<uint64_t>()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  EXPECT_EQ(stats["packets_in"], received) << stats << ports;
  uint64_t accounted = 0;
  for (const auto& [gate, n] : stats["packets_out"].items()) accounted += n.get<uint64_t>();
  for (const auto& [reason, n] : stats["drops"].items()) accounted += n.get<uint64_t>();
  EXPECT_EQ(stats["packets_in"], accounted) << stats;
  for (const json& port : ports["ports"]) EXPECT_EQ(port["drops"]["nf_unavailable"], 0) << port;

  const json& rules = stats["nf"]["rules"];
  EXPECT_EQ(rules[0]["name"], "iperf");
  EXPECT_GE(rules[0]["hits"].get<int>(), 2) << stats;  // iperf3's control and data connections
  EXPECT_EQ(rules[1]["hits"], 1) << stats;             // one refused attempt, no retry
  EXPECT_EQ(stats["nf"]["conntrack"]["rejects_sent"], 1) << stats;
  EXPECT_EQ(stats["packets_out"]["reply"], 1) << stats;
  EXPECT_EQ(rules[2]["hits"], 1) << stats;  // the first echo request; the rest are tracked
  EXPECT_EQ(rules[3]["hits"], 1) << stats;  // A's datagram; B's echo was a reply
  // B's two pings, its SYN (with any retransmissions) and its datagram met the default.
  EXPECT_GE(stats["drops"]["default_deny"].get<int>(), 4) << stats;
  EXPECT_EQ(stats["contract_errors"], 0) << stats;
}

// Start-up errors name what to fix, and nothing is left running.
std::string failed_start(const std::vector<std::string>& extra) {
  RunFiles files{"fwtest"};
  std::vector<std::string> args{"--port", "p1=null", "--listen", "none"};
  args.insert(args.end(), extra.begin(), extra.end());
  test::Process sluiced(test::sluiced_argv(files, args), files.log);
  for (int i = 0; i < 200 && sluiced.running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(sluiced.stop(), 1) << sluiced.log();
  return sluiced.log();
}

// A flows file places instances by name: it is parsed after --nf created
// them. fw2 is nf:2, so the rule must hold 2, not the first instance.
TEST(SluicedNfStartup, FlowsFileNamesInstances) {
  RunFiles files{"fwflows"};
  std::ofstream(files.config) << R"({"default": "allow"})";
  std::ofstream(files.flows) << "table=0,priority=100,in_port=1,actions=nf:fw2,output:2\n";
  std::string url;
  auto sluiced = test::start_sluiced(
      files,
      {"--port", "p1=null", "--port", "p2=null", "--nf", "fw1=firewall:" + files.config, "--nf",
       "fw2=firewall:" + files.config, "--flows", files.flows},
      url);
  ASSERT_FALSE(url.empty()) << sluiced->log();
  EXPECT_NE(sluiced->log().find("sluiced: 1 rules from " + files.flows), std::string::npos)
      << sluiced->log();
  const std::string rules =
      shell_output("curl -sf '" + url + "/v1/tables/0/rules?format=text&counters=false'");
  EXPECT_EQ(rules, "table=0,priority=100,in_port=1,actions=nf:2,output:2\n") << rules;
  EXPECT_EQ(sluiced->stop(), 0) << sluiced->log();
}

TEST(SluicedNfStartup, FlowsFileNamingNoInstanceStopsStartWithItsLine) {
  const std::string flows = "/tmp/sluice-fwtest-flows-" + std::to_string(getpid()) + ".txt";
  std::ofstream(flows) << "# comment\ntable=0,priority=100,actions=nf:fw\n";
  const std::string log = failed_start({"--nf", "fw1=firewall", "--flows", flows});
  std::remove(flows.c_str());
  EXPECT_NE(log.find("sluiced: error: flows file " + flows +
                     ": line 2: column 30: 'nf:fw': no network-function instance named 'fw'"),
            std::string::npos)
      << log;
  EXPECT_EQ(log.find("forwarding on"), std::string::npos) << log;
}

TEST(SluicedNfStartup, PluginOfAnotherAbiIsRefusedBeforeItRuns) {
  const char* plugin = std::getenv("SLUICE_NF_WRONG_ABI_PLUGIN");
  ASSERT_NE(plugin, nullptr);
  const std::string dir = "/tmp/sluice-fwtest-plugins-" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(plugin, dir + "/nat.so");
  const std::string log = failed_start({"--nf-plugin", dir});
  std::filesystem::remove_all(dir);
  EXPECT_NE(log.find("sluiced: error: NF plugin " + dir + "/nat.so: built against NF ABI version"),
            std::string::npos)
      << log;
}

TEST(SluicedNfStartup, UnknownClassOrBadConfigNamesTheFlag) {
  std::string log = failed_start({"--nf", "x=nat"});
  EXPECT_NE(log.find("sluiced: error: --nf x=nat: no NF class 'nat'"), std::string::npos) << log;
  const std::string config = "/tmp/sluice-fwtest-bad-" + std::to_string(getpid()) + ".json";
  std::ofstream(config) << R"({"default": "maybe"})";
  log = failed_start({"--nf", "x=firewall:" + config});
  std::remove(config.c_str());
  EXPECT_NE(log.find("sluiced: error: --nf x=firewall:" + config +
                     ": firewall config: /default: must be"),
            std::string::npos)
      << log;
}

}  // namespace
}  // namespace sluice
