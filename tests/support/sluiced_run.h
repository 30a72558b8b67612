// Test support for system tests that start sluiced: where its binary is,
// the files of one run (an NF config, a flow file, the log, the EAL runtime
// directory), all removed on destruction, so also when an assertion fails,
// and on SIGTERM (TerminationCleanups), and sluiced started as those tests
// run it.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/netns_lab.h"

namespace sluice::test {

// $SLUICED (meson sets it), else the default build's binary.
inline std::string sluiced_path() {
  const char* path = std::getenv("SLUICED");
  return path ? path : "build/dataplane/sluiced";
}

// "http://ADDR:PORT" of the REST agent, from sluiced's start-up log line
// "sluiced: REST agent on http://ADDR:PORT/v1"; "" if the log has none.
inline std::string agent_url(const std::string& log) {
  const auto at = log.find("REST agent on http://");
  if (at == std::string::npos) return "";
  const auto start = at + 14, end = log.find("/v1", at);
  return end == std::string::npos ? "" : log.substr(start, end - start);
}

// Names carry `kind` and the test's PID: "/tmp/sluice-<kind>-<pid>-...".
// `tag` doubles as the run's EAL --file-prefix.
struct RunFiles {
  explicit RunFiles(const std::string& kind)
      : tag("sluice-" + kind + "-" + std::to_string(getpid())) {
    TerminationCleanups::add(this, [this] { remove(); });
  }
  ~RunFiles() {
    TerminationCleanups::remove(this);
    remove();
  }
  RunFiles(const RunFiles&) = delete;
  RunFiles& operator=(const RunFiles&) = delete;

  const std::string tag;
  const std::string config = "/tmp/" + tag + "-config.json";
  const std::string flows = "/tmp/" + tag + "-flows.txt";
  const std::string log = "/tmp/" + tag + ".log";

 private:
  void remove() {
    for (const std::string& f : {config, flows, log}) std::remove(f.c_str());
    std::filesystem::remove_all("/var/run/dpdk/" + tag);
  }
};

// sluiced's argv: sluiced_path(), `args` (ports, --nf, --flows, --listen,
// ...), then EAL on lcores 0-1 without hugepages or PCI scan, in
// `memory_mb` MB, with the run's tag as --file-prefix.
inline std::vector<std::string> sluiced_argv(const RunFiles& files,
                                             const std::vector<std::string>& args,
                                             unsigned memory_mb = 512) {
  std::vector<std::string> argv{sluiced_path()};
  argv.insert(argv.end(), args.begin(), args.end());
  for (const char* a : {"--", "-l", "0-1", "--no-huge", "--no-pci", "-m"}) argv.push_back(a);
  argv.push_back(std::to_string(memory_mb));
  argv.push_back("--file-prefix");
  argv.push_back(files.tag);
  return argv;
}

// Starts sluiced_argv(files, args + "--listen 127.0.0.1:0"), its output in
// files.log, and waits up to 20 s for "forwarding on". Returns the process
// and sets `url` to its agent's "http://ADDR:PORT", or to "" when sluiced
// did not get that far (its log() says why).
inline std::unique_ptr<Process> start_sluiced(const RunFiles& files, std::vector<std::string> args,
                                              std::string& url, unsigned memory_mb = 512) {
  args.insert(args.end(), {"--listen", "127.0.0.1:0"});
  auto sluiced = std::make_unique<Process>(sluiced_argv(files, args, memory_mb), files.log);
  url =
      sluiced->wait_for("forwarding on", std::chrono::seconds(20)) ? agent_url(sluiced->log()) : "";
  return sluiced;
}

}  // namespace sluice::test
