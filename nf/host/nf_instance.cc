#include "nf/host/nf_instance.h"

#include <cerrno>

#include "common/error.h"

namespace sluice::nf {

// Wraps the host's reclaimer so that a deferred free of plugin code runs
// while the plugin is still loaded: each deferred call holds the library.
class NfInstance::PinningReclaimer final : public Reclaimer {
 public:
  PinningReclaimer(Reclaimer& host, std::shared_ptr<const void> library)
      : host_(host), library_(std::move(library)) {}
  void defer(std::function<void()> free) override {
    if (!library_) return host_.defer(std::move(free));
    host_.defer([free = std::move(free), library = library_]() mutable {
      free();
      free = nullptr;  // destroy the plugin's closure before `library` goes
    });
  }

 private:
  Reclaimer& host_;
  std::shared_ptr<const void> library_;
};

namespace {

constexpr unsigned kMaxWorkers = 1024;

void check_spec(const NfInstanceSpec& spec) {
  if (spec.name.empty() || spec.name.size() > 64)
    throw Error("NF instance name must have 1 to 64 characters", EINVAL, "/name");
  for (char ch : spec.name) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '.';
    if (!ok)
      throw Error(
          "NF instance name '" + spec.name + "' may use only letters, digits, '_', '-', '.'",
          EINVAL, "/name");
  }
  if (spec.workers == 0 || spec.workers > kMaxWorkers)
    throw Error("NF instance needs 1 to 1024 workers", EINVAL, "/workers");
}

}  // namespace

NfInstance::NfInstance(const NfFactory& factory, const NfInstanceSpec& spec, Reclaimer& reclaimer,
                       std::shared_ptr<const void> library)
    : library_(std::move(library)),
      reclaimer_(std::make_unique<PinningReclaimer>(reclaimer, library_)),
      info_(factory.info()),
      name_(spec.name),
      workers_(spec.workers) {
  check_spec(spec);
  counters_ = std::make_unique<NfWorkerCounters[]>(workers_);
  const NfInit init{name_, workers_, spec.socket_id, spec.config, *reclaimer_, spec.rcu};
  nf_ = factory.create(init);
}

NfInstance::~NfInstance() = default;

nlohmann::json NfInstance::stats() const {
  uint64_t in = 0, cycles = 0, errors = 0, sent = 0, held = 0;
  std::array<uint64_t, kMaxGates> out{};
  std::array<uint64_t, kMaxDropReasons> drops{};
  for (unsigned w = 0; w < workers_; ++w) {
    const NfWorkerCounters& c = counters_[w];
    in += c.packets_in.read();
    cycles += c.cycles.read();
    errors += c.contract_errors.read();
    sent += c.packets_sent.read();
    held += c.held.read();
    for (unsigned g = 0; g < kMaxGates; ++g) out[g] += c.packets_out[g].read();
    for (unsigned r = 0; r < kMaxDropReasons; ++r) drops[r] += c.drops[r].read();
  }
  nlohmann::json gates = nlohmann::json::object();
  for (unsigned g = 0; g < info_.gates.size() && g < kMaxGates; ++g) gates[info_.gates[g]] = out[g];
  nlohmann::json reasons = nlohmann::json::object();
  for (unsigned r = 0; r < info_.drop_reasons.size() && r < kMaxDropReasons; ++r)
    reasons[info_.drop_reasons[r]] = drops[r];
  return {
      {"name", name_},
      {"class", info_.name},
      {"workers", workers_},
      {"packets_in", in},
      {"packets_out", gates},
      {"packets_sent", sent},
      {"held", held},
      {"drops", reasons},
      {"contract_errors", errors},
      {"cycles_per_packet", in == 0 ? 0.0 : static_cast<double>(cycles) / static_cast<double>(in)},
      {"nf", nf_->stats()}};
}

}  // namespace sluice::nf
