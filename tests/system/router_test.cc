// sluiced with a router NF between two namespaces, as users run it: veth
// ports (af_packet), --nf to create the router, --flows sending everything
// from both ports to it. Host a (10.1.0.2, 2001:db8:1::2) and host b
// (10.2.0.2, 2001:db8:2::2) have default routes via the router: they ping
// each other over IPv4 and IPv6, a TTL-1 probe gets "time to live exceeded"
// from the router and traceroute shows it as the first hop, an iperf3 TCP transfer completes,
// and a static route deleted over REST stops traffic to its network until
// it is added again.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/support/netns_lab.h"
#include "tests/support/sluiced_run.h"

namespace sluice {
namespace {

using nlohmann::json;
using test::shell;
using test::shell_output;

using test::RunFiles;

class RouterSystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(lab_.add_host("a", "10.1.0.2/24"));
    ASSERT_TRUE(lab_.add_host("b", "10.2.0.2/24"));
    for (const auto& [host, v6, gw4, gw6] :
         {std::tuple{"a", "2001:db8:1::2/64", "10.1.0.1", "2001:db8:1::1"},
          std::tuple{"b", "2001:db8:2::2/64", "10.2.0.1", "2001:db8:2::1"}}) {
      ASSERT_EQ(shell("ip -n " + lab_.ns(host) + " -6 addr add " + v6 + " dev eth0 nodad"), 0);
      ASSERT_EQ(shell("ip -n " + lab_.ns(host) + " route add default via " + gw4), 0);
      ASSERT_EQ(shell("ip -n " + lab_.ns(host) + " -6 route add default via " + gw6), 0);
    }
    // A network behind b, reached through a static route via 10.2.0.2.
    ASSERT_EQ(shell("ip -n " + lab_.ns("b") + " addr add 10.3.0.1/32 dev lo"), 0);
    std::ofstream(files_.config) << R"({
      "interfaces": [
        {"name": "a", "port": 1, "mac": "02:00:00:00:01:01",
         "addresses": ["10.1.0.1/24", "2001:db8:1::1/64"]},
        {"name": "b", "port": 2, "mac": "02:00:00:00:02:01",
         "addresses": ["10.2.0.1/24", "2001:db8:2::1/64"]}],
      "routes": [{"prefix": "10.3.0.0/24", "via": "10.2.0.2"}]})";
    std::ofstream(files_.flows) << "table=0,priority=100,actions=nf:r1\n";
    sluiced_ = test::start_sluiced(
        files_,
        {"--port", "veth:" + lab_.outside("a"), "--port", "veth:" + lab_.outside("b"), "--nf",
         "r1=router:" + files_.config, "--flows", files_.flows},
        url_, 1024);
    ASSERT_FALSE(url_.empty()) << sluiced_->log();
    ASSERT_NE(sluiced_->log().find("NF r1 (router) is nf:1"), std::string::npos) << sluiced_->log();
  }
  void TearDown() override {
    if (sluiced_) {
      EXPECT_EQ(sluiced_->stop(), 0) << sluiced_->log();
    }
  }

  bool ping(const std::string& from, const std::string& to, int count = 3) {
    return shell(lab_.exec(from) + "ping -c " + std::to_string(count) + " -i 0.2 -W 2 " + to +
                 " >/dev/null") == 0;
  }
  json stats() {
    return json::parse(shell_output("curl -sf " + url_ + "/v1/nfs/r1/stats"), nullptr, false);
  }

  RunFiles files_{"rttest"};
  test::Lab lab_{"rt"};
  std::string url_;
  std::unique_ptr<test::Process> sluiced_;
};

TEST_F(RouterSystemTest, HostsInTwoSubnetsTalkThroughTheRouter) {
  EXPECT_TRUE(ping("a", "10.2.0.2")) << sluiced_->log() << stats();
  EXPECT_TRUE(ping("b", "10.1.0.2"));
  EXPECT_TRUE(ping("a", "10.2.0.1")) << "the router's far address answers";
  EXPECT_TRUE(ping("a", "2001:db8:2::2")) << stats();
  EXPECT_TRUE(ping("b", "2001:db8:1::2"));

  // What traceroute / tracepath see at the first hop: the router.
  const std::string hop = shell_output(lab_.exec("a") + "ping -c 1 -t 1 -W 2 10.2.0.2 2>&1");
  EXPECT_NE(hop.find("From 10.1.0.1"), std::string::npos) << hop;
  EXPECT_NE(hop.find("Time to live exceeded"), std::string::npos) << hop;
  const std::string hop6 = shell_output(lab_.exec("a") + "ping -c 1 -t 1 -W 2 2001:db8:2::2 2>&1");
  EXPECT_NE(hop6.find("From 2001:db8:1::1"), std::string::npos) << hop6;
  EXPECT_NE(hop6.find("Time exceeded"), std::string::npos) << hop6;
  const std::string trace = shell_output(lab_.exec("a") + "traceroute -n -q 1 -w 2 10.2.0.2 2>&1");
  EXPECT_NE(trace.find(" 1  10.1.0.1 "), std::string::npos) << trace;
  EXPECT_NE(trace.find(" 2  10.2.0.2 "), std::string::npos) << trace;
  const std::string trace6 =
      shell_output(lab_.exec("a") + "traceroute -6 -n -q 1 -w 2 2001:db8:2::2 2>&1");
  EXPECT_NE(trace6.find(" 1  2001:db8:1::1 "), std::string::npos) << trace6;
  EXPECT_NE(trace6.find(" 2  2001:db8:2::2 "), std::string::npos) << trace6;

  // TCP through the router.
  ASSERT_EQ(shell(lab_.exec("b") + "iperf3 -s -D -p 5201"), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const std::string out =
      shell_output(lab_.exec("a") + "timeout 20 iperf3 -c 10.2.0.2 -p 5201 -t 1 -J");
  const json result = json::parse(out, nullptr, false);
  ASSERT_FALSE(result.is_discarded()) << out << "\n" << sluiced_->log();
  ASSERT_FALSE(result.contains("error")) << result["error"] << "\n" << stats();
  EXPECT_GT(result["end"]["sum_received"]["bytes"].get<double>(), 1e5);

  const json s = stats();
  EXPECT_EQ(s["contract_errors"], 0) << s;
  EXPECT_GE(s["nf"]["icmp_errors_sent"].get<int>(), 2) << s;
  EXPECT_GE(s["nf"]["neighbour_replies_sent"].get<int>(), 2) << s;  // a and b asked for the router
  EXPECT_GE(s["nf"]["learned"].get<int>(), 4) << s;                 // both hosts, both families
  const json n = json::parse(shell_output("curl -sf " + url_ + "/v1/nfs/r1/neighbours"));
  EXPECT_GE(n["neighbours"].size(), 4u) << n;
}

TEST_F(RouterSystemTest, DeletedRouteStopsTrafficReaddedRestoresIt) {
  EXPECT_TRUE(ping("a", "10.3.0.1")) << stats();
  ASSERT_EQ(
      shell("curl -sf -X DELETE '" + url_ + "/v1/nfs/r1/routes?prefix=10.3.0.0/24' >/dev/null"), 0);
  const std::string unreachable = shell_output(lab_.exec("a") + "ping -c 1 -W 2 10.3.0.1 2>&1");
  EXPECT_NE(unreachable.find("Destination Net Unreachable"), std::string::npos) << unreachable;
  ASSERT_EQ(shell("curl -sf -X POST " + url_ +
                  "/v1/nfs/r1/routes -d '{\"routes\": [{\"prefix\": \"10.3.0.0/24\", \"via\": "
                  "\"10.2.0.2\"}]}' >/dev/null"),
            0);
  EXPECT_TRUE(ping("a", "10.3.0.1")) << stats();
}

}  // namespace
}  // namespace sluice
