// Events from the switch to its clients (GET /v1/events, server-sent events).
//
// Producers call publish(type, data); each subscriber (one per SSE client)
// has a bounded queue of ready-to-send SSE frames:
//   id: <sequence>\nevent: <type>\ndata: <data as one JSON line>\n\n
// A full queue drops the new event for that subscriber only and counts it
// (the client sees a gap in the ids); publishing never blocks or grows
// without bound, so a slow client cannot slow the switch.
//
// Event types in use (data schemas in docs/api/sluiced.openapi.json):
//   port-added, port-removed          (port_routes.cc)
//   flow-removed                      (flow_routes.cc, flow_json.h)
//   packet-in, port-status            (datapath_events.h)
//
// Thread-safety: none. Every call, including a Subscriber's, runs on the
// control thread (the agent's io_context). The bus may be destroyed before
// its subscribers; they then simply receive nothing more.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

class EventBus {
 public:
  class Subscriber {
   public:
    ~Subscriber();  // unsubscribes
    Subscriber(const Subscriber&) = delete;
    Subscriber& operator=(const Subscriber&) = delete;

    bool empty() const { return queue_.empty(); }
    // The oldest queued frame. Precondition: !empty().
    std::string pop();
    uint64_t dropped() const { return dropped_; }

   private:
    friend class EventBus;
    struct Core;
    Subscriber(std::weak_ptr<Core> core, std::size_t capacity, std::function<void()> wake)
        : core_(std::move(core)), capacity_(capacity), wake_(std::move(wake)) {}

    std::weak_ptr<Core> core_;
    std::size_t capacity_;
    std::function<void()> wake_;
    std::deque<std::string> queue_;
    uint64_t dropped_ = 0;
  };

  // `capacity`: frames queued per subscriber before new events are dropped
  // (at least 1).
  explicit EventBus(std::size_t capacity = 1024);
  ~EventBus();
  EventBus(const EventBus&) = delete;
  EventBus& operator=(const EventBus&) = delete;

  // Registers a subscriber. `wake` is called, inside publish(), when its
  // queue goes from empty to non-empty; it must not call back into the bus
  // nor destroy a subscriber.
  std::shared_ptr<Subscriber> subscribe(std::function<void()> wake);

  // Queues one event for every subscriber and returns its id (1, 2, ...).
  // `type` is 1..64 characters from [a-z0-9-]; anything else throws
  // sluice::Error EINVAL (a programming error) and nothing is queued.
  uint64_t publish(std::string_view type, const nlohmann::json& data);

  uint64_t published() const;  // events published since start
  uint64_t dropped() const;    // frames dropped over all subscribers, ever
  std::size_t subscribers() const;

 private:
  std::shared_ptr<Subscriber::Core> core_;
};

}  // namespace sluice
