// Test support: one EAL per test binary, with --no-huge, a private file
// prefix (nothing left behind, see eal.h) and no PCI probing.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "dataplane/eal/eal.h"

namespace sluice::test {

class EalEnvironment : public ::testing::Environment {
 public:
  explicit EalEnvironment(std::string lcores) : lcores_(std::move(lcores)) {}
  void SetUp() override {
    eal_ = std::make_unique<Eal>(std::vector<std::string>{"--no-huge", "-m", "512", "-l", lcores_,
                                                          "--log-level", "lib.eal:error"},
                                 std::vector<std::string>{});
  }
  void TearDown() override { eal_.reset(); }

 private:
  std::string lcores_;
  std::unique_ptr<Eal> eal_;
};

}  // namespace sluice::test
