// sluiced: the sluice switch. See dataplane/config/switch_config.h for flags.
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>

#include "common/error.h"
#include "dataplane/agent/agent.h"
#include "dataplane/config/switch_config.h"
#include "dataplane/datapath.h"
#include "dataplane/eal/eal.h"
#include "dataplane/flow/flow_file.h"
#include "dataplane/stats/stats_report.h"

namespace {

volatile std::sig_atomic_t stop_requested = 0;
volatile std::sig_atomic_t stats_requested = 0;

void on_stop(int) {
  stop_requested = 1;
}
void on_stats(int) {
  stats_requested = 1;
}

std::vector<std::string> pci_devices(const sluice::SwitchConfig& config) {
  std::vector<std::string> devices;
  for (const auto& port : config.ports) {
    if (port.kind == sluice::PortKind::pci) devices.push_back(port.devargs);
  }
  return devices;
}

void print_stats(const sluice::Datapath& datapath, bool json) {
  auto stats = sluice::take_snapshot(datapath);
  std::string text = json ? sluice::stats_json_line(stats) : sluice::stats_table(stats);
  std::fputs(text.c_str(), stdout);
  std::fflush(stdout);
}

int run(const sluice::SwitchConfig& config) {
  sluice::Eal eal(config.eal_args, pci_devices(config));
  sluice::DatapathOptions options;
  options.workers = config.workers;
  options.mbufs = config.mbufs;
  options.mac_aging_s = config.mac_aging_s;
  options.keep_offloads = config.keep_offloads;
  sluice::Datapath datapath(options);
  for (const auto& spec : config.ports) {
    for (const auto& warning : datapath.add_port(spec)) {
      std::fprintf(stderr, "sluiced: warning: %s\n", warning.c_str());
    }
    const sluice::Port* port = datapath.find_port(spec.name);
    std::fprintf(stderr, "sluiced: port %u %s (%s, %s, %u queue%s) %s\n", port->number(),
                 port->name().c_str(), spec.text.c_str(), port->driver().c_str(), port->rx_queues(),
                 port->rx_queues() == 1 ? "" : "s", port->mac().c_str());
  }
  for (const std::string& dir : config.nf_plugin_dirs) {
    for (const std::string& name : datapath.nfs().registry().add_plugin_directory(dir))
      std::fprintf(stderr, "sluiced: NF class %s from %s\n", name.c_str(), dir.c_str());
  }
  for (const sluice::NfSpec& nf : config.nfs) {
    try {
      datapath.nfs().create(nf.name, nf.class_name, nf.config, nf.number);
    } catch (const sluice::Error& e) {
      throw sluice::Error(nf.origin + ": " + e.what(), e.code(), e.path());
    }
    std::fprintf(stderr, "sluiced: NF %s (%s) is nf:%u\n", nf.name.c_str(), nf.class_name.c_str(),
                 datapath.nfs().number_of(nf.name));
  }
  // Parsed once the instances exist, so that rules may say nf:NAME; still
  // before the agent and the workers start, so a bad file stops start-up.
  if (!config.flows_file.empty()) {
    const auto result =
        datapath.pipeline().commit(sluice::flow_file_transaction(config.flows_file));
    std::fprintf(stderr, "sluiced: %u rules from %s (generation %llu)\n", result.added,
                 config.flows_file.c_str(), static_cast<unsigned long long>(result.generation));
  }
  // Every agent handler runs on this thread, between the housekeeping steps.
  boost::asio::io_context io;
  auto io_guard = boost::asio::make_work_guard(io);
  std::unique_ptr<sluice::Agent> agent;
  if (config.listen != "none") {
    sluice::AgentOptions agent_options;
    agent_options.listen = config.listen;
    agent_options.token = config.token;
    agent_options.max_body = std::size_t{config.max_body_mib} << 20;
    agent_options.max_routes_body = std::size_t{config.max_routes_body_mib} << 20;
    agent = std::make_unique<sluice::Agent>(io, agent_options, datapath);
    std::fprintf(stderr, "sluiced: REST agent on http://%s/v1\n", agent->address().c_str());
  }
  datapath.start();
  std::fprintf(stderr, "sluiced: forwarding on %u worker%s; SIGUSR1 prints counters\n",
               datapath.worker_count(), datapath.worker_count() == 1 ? "" : "s");

  using clock = std::chrono::steady_clock;
  auto next_housekeeping = clock::now();
  auto next_stats = clock::now() + std::chrono::seconds(config.stats_interval_s);
  while (!stop_requested) {
    io.run_for(std::chrono::milliseconds(20));
    const auto now = clock::now();
    if (now >= next_housekeeping) {
      datapath.housekeeping();
      next_housekeeping = now + std::chrono::seconds(1);
    }
    if (agent) agent->publish_datapath_events();
    if (stats_requested || (config.stats_interval_s && now >= next_stats)) {
      stats_requested = 0;
      print_stats(datapath, config.stats_json);
      next_stats = now + std::chrono::seconds(config.stats_interval_s);
    }
  }
  agent.reset();
  datapath.stop();
  std::fprintf(stderr, "sluiced: stopped; final counters:\n");
  std::fputs(sluice::stats_table(sluice::take_snapshot(datapath)).c_str(), stderr);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    sluice::SwitchConfig config = sluice::parse_switch_config(argc, argv);
    if (config.show_help) {
      std::fputs(sluice::switch_usage(), stdout);
      return 0;
    }
    if (config.show_version) {
      std::printf("sluiced %s\n", SLUICE_VERSION);
      return 0;
    }
    std::signal(SIGINT, on_stop);
    std::signal(SIGTERM, on_stop);
    std::signal(SIGUSR1, on_stats);
    return run(config);
  } catch (const sluice::Error& e) {
    std::fprintf(stderr, "sluiced: error: %s\n", e.what());
    return 1;
  }
}
