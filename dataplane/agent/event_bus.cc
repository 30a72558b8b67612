#include "dataplane/agent/event_bus.h"

#include <algorithm>
#include <cerrno>
#include <nlohmann/json.hpp>

#include "common/error.h"

namespace sluice {

struct EventBus::Subscriber::Core {
  std::size_t capacity;
  uint64_t next_id = 1;
  uint64_t dropped = 0;
  std::vector<Subscriber*> subscribers;
};

EventBus::Subscriber::~Subscriber() {
  if (auto core = core_.lock()) std::erase(core->subscribers, this);
}

std::string EventBus::Subscriber::pop() {
  std::string frame = std::move(queue_.front());
  queue_.pop_front();
  return frame;
}

EventBus::EventBus(std::size_t capacity) : core_(std::make_shared<Subscriber::Core>()) {
  core_->capacity = std::max<std::size_t>(capacity, 1);
}

EventBus::~EventBus() = default;

std::shared_ptr<EventBus::Subscriber> EventBus::subscribe(std::function<void()> wake) {
  std::shared_ptr<Subscriber> subscriber(new Subscriber(core_, core_->capacity, std::move(wake)));
  core_->subscribers.push_back(subscriber.get());
  return subscriber;
}

uint64_t EventBus::publish(std::string_view type, const nlohmann::json& data) {
  const bool valid =
      !type.empty() && type.size() <= 64 && std::all_of(type.begin(), type.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
      });
  if (!valid) throw Error("bad event type \"" + std::string(type) + "\"", EINVAL);
  const uint64_t id = core_->next_id++;
  const std::string frame =
      "id: " + std::to_string(id) + "\nevent: " + std::string(type) +
      "\ndata: " + data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n\n";
  // A wake callback may end its subscriber's session: iterate over a copy.
  const std::vector<Subscriber*> subscribers = core_->subscribers;
  for (Subscriber* s : subscribers) {
    if (s->queue_.size() >= s->capacity_) {
      ++s->dropped_;
      ++core_->dropped;
      continue;
    }
    s->queue_.push_back(frame);
    if (s->queue_.size() == 1 && s->wake_) s->wake_();
  }
  return id;
}

uint64_t EventBus::published() const {
  return core_->next_id - 1;
}
uint64_t EventBus::dropped() const {
  return core_->dropped;
}
std::size_t EventBus::subscribers() const {
  return core_->subscribers.size();
}

}  // namespace sluice
