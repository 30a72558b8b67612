// Test support for system tests: hosts in network namespaces wired by veth
// pairs, and child processes, all removed by their destructors (so also when
// an assertion fails) and on SIGTERM or SIGINT (a test runner's timeout,
// which unwinds no stack). Object names carry a per-process tag so parallel
// runs and leftovers never collide with anything else.
#pragma once

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace sluice::test {

// Runs a shell command; returns its exit status.
inline int shell(const std::string& command) {
  int rc = std::system(command.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

// Runs a shell command; returns what it printed on stdout.
inline std::string shell_output(const std::string& command) {
  std::string out;
  if (FILE* pipe = popen(command.c_str(), "r")) {
    char buffer[4096];
    std::size_t n;
    while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) out.append(buffer, n);
    pclose(pipe);
  }
  return out;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The cleanups of the live Labs and Processes, run by SIGTERM and SIGINT
// before the signal ends the test process. The handler is not
// async-signal-safe (it runs shell commands); the process is ending anyway,
// and a runner that waits in vain kills it.
class TerminationCleanups {
 public:
  static void add(const void* owner, std::function<void()> cleanup) {
    static const bool installed = [] {
      struct sigaction action {};
      action.sa_handler = on_signal;
      sigaction(SIGTERM, &action, nullptr);
      sigaction(SIGINT, &action, nullptr);
      return true;
    }();
    (void)installed;
    live().emplace_back(owner, std::move(cleanup));
  }
  static void remove(const void* owner) {
    std::erase_if(live(), [owner](const auto& entry) { return entry.first == owner; });
  }

 private:
  static std::vector<std::pair<const void*, std::function<void()>>>& live() {
    static std::vector<std::pair<const void*, std::function<void()>>> cleanups;
    return cleanups;
  }
  // Newest first, as destructors would run: a test's processes before the
  // namespaces they run in.
  static void on_signal(int sig) {
    for (auto it = live().rbegin(); it != live().rend(); ++it) it->second();
    signal(sig, SIG_DFL);
    raise(sig);
  }
};

class Lab {
 public:
  // `tag` (<= 6 chars) is combined with the PID into every object name.
  explicit Lab(const std::string& tag) : prefix_(tag + std::to_string(getpid() % 100000)) {
    TerminationCleanups::add(this, [this] { remove_hosts(); });
  }
  ~Lab() {
    TerminationCleanups::remove(this);
    remove_hosts();
  }
  Lab(const Lab&) = delete;
  Lab& operator=(const Lab&) = delete;

  // A namespace with "eth0" at `address` (CIDR), whose veth peer
  // outside(host) stays in the root namespace, up, for the switch. The inner
  // end's offloads are off, as scripts/lib/lab.sh does for users.
  bool add_host(const std::string& host, const std::string& address) {
    hosts_.push_back(host);
    return shell("ip netns add " + ns(host)) == 0 &&
           shell("ip link add " + outside(host) + " type veth peer name eth0 netns " + ns(host)) ==
               0 &&
           shell("ip -n " + ns(host) + " addr add " + address + " dev eth0") == 0 &&
           shell("ip -n " + ns(host) + " link set eth0 up") == 0 &&
           shell("ip -n " + ns(host) + " link set lo up") == 0 &&
           shell("ip link set " + outside(host) + " up") == 0 &&
           shell("ip netns exec " + ns(host) +
                 " ethtool -K eth0 tx off tso off gso off >/dev/null 2>&1") == 0;
  }

  std::string ns(const std::string& host) const { return prefix_ + "-" + host; }
  std::string outside(const std::string& host) const { return prefix_ + "-" + host; }
  std::string exec(const std::string& host) const { return "ip netns exec " + ns(host) + " "; }
  std::string mac(const std::string& host) const {
    std::string out = shell_output(exec(host) + "cat /sys/class/net/eth0/address");
    return out.substr(0, out.find('\n'));
  }

 private:
  void remove_hosts() {
    for (const auto& host : hosts_) {
      shell("ip netns pids " + ns(host) + " 2>/dev/null | xargs -r kill -9 2>/dev/null");
      shell("ip netns del " + ns(host) + " 2>/dev/null");
      shell("ip link del " + outside(host) + " 2>/dev/null");
    }
  }

  std::string prefix_;
  std::vector<std::string> hosts_;
};

// A child process with stdout and stderr to `log`; SIGTERM then SIGKILL on
// destruction.
class Process {
 public:
  Process(const std::vector<std::string>& argv, const std::string& log) : log_(log) {
    pid_ = fork();
    if (pid_ == 0) {
      FILE* out = std::fopen(log.c_str(), "w");
      if (out) {
        dup2(fileno(out), 1);
        dup2(fileno(out), 2);
      }
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
    TerminationCleanups::add(this, [this] {
      if (pid_ > 0) kill(pid_, SIGKILL);
    });
  }
  ~Process() {
    TerminationCleanups::remove(this);
    stop();
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  bool running() {
    if (pid_ <= 0) return false;
    if (waitpid(pid_, &status_, WNOHANG) == 0) return true;
    exit_code_ = WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
    pid_ = 0;
    return false;
  }
  // Exit status once the process has ended (-1 while running or if killed).
  int exit_code() const { return exit_code_; }
  std::string log() const { return read_file(log_); }

  // Waits up to `timeout` for `text` to appear in the log.
  bool wait_for(const std::string& text, std::chrono::seconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (log().find(text) != std::string::npos) return true;
      if (!running()) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  // SIGTERM, then SIGKILL after 5 s; returns the exit status (or -1).
  int stop() {
    if (pid_ <= 0) return exit_code_;
    kill(pid_, SIGTERM);
    for (int i = 0; i < 100; ++i) {
      if (waitpid(pid_, &status_, WNOHANG) == pid_) {
        pid_ = 0;
        exit_code_ = WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
        return exit_code_;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, &status_, 0);
    pid_ = 0;
    return -1;
  }

 private:
  std::string log_;
  pid_t pid_ = -1;
  int status_ = 0;
  int exit_code_ = -1;
};

}  // namespace sluice::test
