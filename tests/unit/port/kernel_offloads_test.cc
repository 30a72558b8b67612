// Needs root: builds its own netns and veth pairs (names end in this test's
// pid) and removes them whatever happens.
#include "dataplane/port/kernel_offloads.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "common/error.h"

namespace sluice {
namespace {

using Strings = std::vector<std::string>;

const std::string kPid = std::to_string(::getpid());

int run(const std::string& command) {
  return std::system((command + " >/dev/null 2>&1").c_str());
}

std::string output_of(const std::string& command) {
  std::string out;
  if (FILE* p = ::popen((command + " 2>/dev/null").c_str(), "r")) {
    char buf[512];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    ::pclose(p);
  }
  return out;
}

bool has_ethtool() {
  return run("ethtool --version") == 0;
}

bool contains(const Strings& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// A child process in a network namespace of its own (not under /run/netns).
class NetnsChild {
 public:
  NetnsChild() {
    int fds[2];
    if (::pipe(fds) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::close(fds[0]);
      char ok = ::unshare(CLONE_NEWNET) == 0 ? '1' : '0';
      if (::write(fds[1], &ok, 1) != 1) ::_exit(1);
      for (;;) ::pause();
    }
    ::close(fds[1]);
    char ok = '0';
    if (pid_ > 0 && ::read(fds[0], &ok, 1) == 1 && ok == '1') ready_ = true;
    ::close(fds[0]);
  }
  ~NetnsChild() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  NetnsChild(const NetnsChild&) = delete;
  NetnsChild& operator=(const NetnsChild&) = delete;
  bool ready() const { return ready_; }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  bool ready_ = false;
};

// Everything the tests create; the destructor removes it (also what a crashed
// earlier run with the same pid left behind, through the constructor).
class Lab {
 public:
  const std::string netns = "tcfg-" + kPid;
  const std::string a = "tcfa" + kPid;  // here; peer b in `netns`
  const std::string b = "tcfb" + kPid;
  const std::string c = "tcfc" + kPid;  // here; peer d here too
  const std::string d = "tcfd" + kPid;
  const std::string e = "tcfe" + kPid;  // here; peer f in a process's netns
  const std::string f = "tcff" + kPid;

  Lab() { remove(); }
  ~Lab() { remove(); }
  Lab(const Lab&) = delete;
  Lab& operator=(const Lab&) = delete;

 private:
  void remove() {
    run("ip netns del " + netns);
    for (const auto& dev : {a, c, e}) run("ip link del " + dev);
  }
};

class KernelOffloads : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (creates a netns and veths)";
    lab_ = std::make_unique<Lab>();
    ASSERT_EQ(run("ip netns add " + lab_->netns), 0);
    ASSERT_EQ(
        run("ip link add " + lab_->a + " type veth peer name " + lab_->b + " netns " + lab_->netns),
        0);
    ASSERT_EQ(run("ip link add " + lab_->c + " type veth peer name " + lab_->d), 0);
  }
  void TearDown() override { lab_.reset(); }

  std::unique_ptr<Lab> lab_;
};

TEST(KernelOffloadsMissing, ExactErrors) {
  const std::string name = "tcfnone" + kPid;
  const std::string message = "no such interface " + name + ": create it or check the name";
  EXPECT_FALSE(kernel_interface_exists(name));
  for (auto call : {&disable_kernel_offloads, &peer_offload_warnings, &active_offloads}) {
    try {
      call(name);
      ADD_FAILURE() << "no error for a missing interface";
    } catch (const Error& err) {
      EXPECT_EQ(err.what(), message);
      EXPECT_EQ(err.code(), ENODEV);
      EXPECT_EQ(err.path(), name);
    }
  }
}

TEST_F(KernelOffloads, DisableTurnsOffloadsOff) {
  EXPECT_TRUE(kernel_interface_exists(lab_->a));
  Strings before = active_offloads(lab_->a);
  for (const char* group : {"tx-checksumming", "scatter-gather", "tcp-segmentation-offload",
                            "generic-segmentation-offload"})
    EXPECT_TRUE(contains(before, group)) << group << " is not on by default on a veth";

  EXPECT_EQ(disable_kernel_offloads(lab_->a), before);
  EXPECT_EQ(active_offloads(lab_->a), Strings{});
  EXPECT_EQ(disable_kernel_offloads(lab_->a), Strings{});

  if (has_ethtool()) {
    std::string shown = output_of("ethtool -k " + lab_->a);
    for (const char* line : {"rx-checksumming: off", "tx-checksumming: off", "scatter-gather: off",
                             "tcp-segmentation-offload: off", "generic-segmentation-offload: off",
                             "generic-receive-offload: off"})
      EXPECT_NE(shown.find(line), std::string::npos) << line << " not in:\n" << shown;
  }
}

TEST_F(KernelOffloads, PeerInNamedNetns) {
  const std::string expected = "peer of " + lab_->a + " (" + lab_->b + " in netns " + lab_->netns +
                               ") still has tx-checksumming, tcp-segmentation-offload, "
                               "generic-segmentation-offload on: TCP through the switch will "
                               "stall; run: ip netns exec " +
                               lab_->netns + " ethtool -K " + lab_->b + " tx off tso off gso off";
  EXPECT_EQ(peer_offload_warnings(lab_->a), Strings{expected});
  disable_kernel_offloads(lab_->a);
  EXPECT_EQ(peer_offload_warnings(lab_->a), Strings{expected}) << "only the peer matters";

  if (!has_ethtool()) GTEST_SKIP() << "ethtool not installed: cannot apply the suggested fix";
  ASSERT_EQ(
      run("ip netns exec " + lab_->netns + " ethtool -K " + lab_->b + " tx off tso off gso off"),
      0);
  EXPECT_EQ(peer_offload_warnings(lab_->a), Strings{});
}

TEST_F(KernelOffloads, PeerInSameNetns) {
  EXPECT_EQ(peer_offload_warnings(lab_->c),
            Strings{"peer of " + lab_->c + " (" + lab_->d +
                    ") still has tx-checksumming, tcp-segmentation-offload, "
                    "generic-segmentation-offload on: TCP through the switch will stall; run: "
                    "ethtool -K " +
                    lab_->d + " tx off tso off gso off"});
  EXPECT_EQ(peer_offload_warnings(lab_->d),
            Strings{"peer of " + lab_->d + " (" + lab_->c +
                    ") still has tx-checksumming, tcp-segmentation-offload, "
                    "generic-segmentation-offload on: TCP through the switch will stall; run: "
                    "ethtool -K " +
                    lab_->c + " tx off tso off gso off"});
  disable_kernel_offloads(lab_->d);
  EXPECT_EQ(peer_offload_warnings(lab_->c), Strings{});
  disable_kernel_offloads(lab_->c);
  EXPECT_EQ(peer_offload_warnings(lab_->d), Strings{});
}

TEST_F(KernelOffloads, PeerInNetnsOfAProcess) {
  NetnsChild child;
  ASSERT_TRUE(child.ready());
  const std::string pid = std::to_string(child.pid());
  ASSERT_EQ(run("ip link add " + lab_->e + " type veth peer name " + lab_->f + " netns " + pid), 0);
  EXPECT_EQ(peer_offload_warnings(lab_->e),
            Strings{"peer of " + lab_->e + " (" + lab_->f + " in the netns of pid " + pid +
                    ") still has tx-checksumming, tcp-segmentation-offload, "
                    "generic-segmentation-offload on: TCP through the switch will stall; run: "
                    "nsenter -t " +
                    pid + " -n ethtool -K " + lab_->f + " tx off tso off gso off"});
}

TEST_F(KernelOffloads, NotAVethHasNoPeer) {
  EXPECT_EQ(peer_offload_warnings("lo"), Strings{});
}

}  // namespace
}  // namespace sluice
