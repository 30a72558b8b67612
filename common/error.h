// Control-plane error type shared by the switch, the controller and the tools.
//
// Contract: control-path code (configuration, REST handlers, start-up) reports
// failures by throwing sluice::Error. The data path never throws; it counts.
#pragma once

#include <stdexcept>
#include <string>

namespace sluice {

class Error : public std::runtime_error {
 public:
  // `message` is complete and user-facing: it names what is wrong and, where
  // there is one, what to do about it. `code` is an errno value (0 if none).
  // `path` names the offending input (a JSON pointer, a flag, a token).
  explicit Error(std::string message, int code = 0, std::string path = {})
      : std::runtime_error(std::move(message)), code_(code), path_(std::move(path)) {}

  int code() const noexcept { return code_; }
  const std::string& path() const noexcept { return path_; }

 private:
  int code_;
  std::string path_;
};

}  // namespace sluice
