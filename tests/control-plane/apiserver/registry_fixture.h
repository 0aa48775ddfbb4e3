#pragma once
// A Registry over a real SQLite store in a temporary directory, for the tests of what sits on
// the registry: strategies, authorizers, the CSR signer, the log proxy. Subclasses that
// override SetUp call RegistryFixture::SetUp() first; TearDown closes and removes it all.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "control-plane/apiserver/registry.h"
#include "control-plane/apiserver/resource_info.h"
#include "control-plane/storage/sqlite_store.h"

namespace capstan::control_plane::apiserver {

class RegistryFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/capstan-registry-test.XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    auto store = storage::SqliteStore::Open(dir_ + "/state.db", storage::SqliteOptions{});
    ASSERT_TRUE(store) << store.error().message();
    store_ = std::move(*store);
    registry_ = std::make_unique<Registry>(store_.get(), clock());
  }
  void TearDown() override {
    registry_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  // The clock the registry stamps objects with (tests with a fixed clock override it).
  virtual const Clock* clock() { return &real_clock_; }
  // A built-in resource by plural name, kept alive for the test.
  const ResourceInfo& Res(const std::string& plural, const std::string& group = "") {
    auto r = resources_.Find(group, "v1", plural);
    CAPSTAN_CHECK(r != nullptr);
    held_.push_back(r);
    return *r;
  }

  std::string dir_;
  RealClock real_clock_;
  ResourceRegistry resources_;
  std::vector<std::shared_ptr<const ResourceInfo>> held_;
  std::unique_ptr<storage::SqliteStore> store_;
  std::unique_ptr<Registry> registry_;
};

}  // namespace capstan::control_plane::apiserver
