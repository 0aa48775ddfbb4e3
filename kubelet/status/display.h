#pragma once
// The one-word summary of a pod that `kubectl get pods` shows in its STATUS column
// (Init:1/3, Init:CrashLoopBackOff, PodInitializing, CrashLoopBackOff, Running, Completed,
// Error, ...), computed from the API status as kubectl's printer does. The kubelet logs it
// and `capstan` prints it.

#include <string>

#include "api/k8s/pod.h"

namespace capstan::kubelet::status {

std::string PodDisplayStatus(const api::k8s::Pod& pod, const api::k8s::PodStatus& status);

}  // namespace capstan::kubelet::status
