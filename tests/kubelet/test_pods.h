#pragma once
// Pods for kubelet tests, written as YAML like users write them, defaulted as the kubelet
// defaults static pods.

#include <gtest/gtest.h>

#include <string_view>

#include "api/k8s/codec.h"
#include "api/k8s/defaults.h"

namespace capstan::kubelet::testing {

inline api::k8s::Pod PodFromYaml(std::string_view yaml) {
  auto pod = api::k8s::DecodePodYaml(yaml);
  EXPECT_TRUE(pod) << pod.error().message();
  if (!pod) {
    return {};
  }
  api::k8s::Pod p = api::k8s::WithDefaults(*pod);
  if (p.metadata.uid.empty()) {
    p.metadata.uid = p.metadata.name + "-uid";
  }
  return p;
}

}  // namespace capstan::kubelet::testing
