#include "common/rules/nf_names.h"

#include <map>
#include <mutex>

namespace sluice::nf_names {
namespace {

std::mutex& lock() {
  static std::mutex m;
  return m;
}

std::map<std::string, uint32_t, std::less<>>& table() {
  static std::map<std::string, uint32_t, std::less<>> names;
  return names;
}

}  // namespace

void add(const std::string& name, uint32_t number) {
  std::lock_guard guard(lock());
  table()[name] = number;
}

void remove(const std::string& name) {
  std::lock_guard guard(lock());
  table().erase(name);
}

std::optional<uint32_t> find(std::string_view name) {
  std::lock_guard guard(lock());
  auto it = table().find(name);
  if (it == table().end()) return std::nullopt;
  return it->second;
}

}  // namespace sluice::nf_names
