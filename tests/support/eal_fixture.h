// Test support: one EAL per test binary, with --no-huge, its own in-memory
// instance (no hugepage or runtime files left behind) and no PCI probing.
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
    eal_ = std::make_unique<Eal>(
        std::vector<std::string>{"--no-huge", "-m", "512", "--in-memory", "-l", lcores_,
                                 "--log-level", "lib.eal:error"},
        std::vector<std::string>{});
  }
  void TearDown() override { eal_.reset(); }

 private:
  std::string lcores_;
  std::unique_ptr<Eal> eal_;
};

}  // namespace sluice::test
