// Test support for system tests that start sluiced: where its binary is, and
// the files of one run (an NF config, a flow file, the log, the EAL runtime
// directory), all removed on destruction, so also when an assertion fails.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

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
      : tag("sluice-" + kind + "-" + std::to_string(getpid())) {}
  ~RunFiles() {
    for (const std::string& f : {config, flows, log}) std::remove(f.c_str());
    std::filesystem::remove_all("/var/run/dpdk/" + tag);
  }
  RunFiles(const RunFiles&) = delete;
  RunFiles& operator=(const RunFiles&) = delete;

  const std::string tag;
  const std::string config = "/tmp/" + tag + "-config.json";
  const std::string flows = "/tmp/" + tag + "-flows.txt";
  const std::string log = "/tmp/" + tag + ".log";
};

}  // namespace sluice::test
