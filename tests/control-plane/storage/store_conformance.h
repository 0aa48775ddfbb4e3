#pragma once
// StoreConformance: the behaviour every Store implementation must show (SQLite now, etcd
// next). Instantiate it with a factory that opens a fresh store in `dir` (and reopens the
// same one when called again with the same dir):
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformance, ::testing::Values(StoreFactory{...}));

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "control-plane/storage/store.h"

namespace capstan::control_plane::storage {

struct StoreFactory {
  std::string name;
  std::function<std::unique_ptr<Store>(const std::string& dir)> open;
};

class StoreConformance : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override;
  void TearDown() override;
  void Reopen();

  std::string dir_;
  std::unique_ptr<Store> store_;
};

}  // namespace capstan::control_plane::storage
