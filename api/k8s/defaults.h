#pragma once
// Defaulting as the API server applies it (pkg/apis/core/v1/defaults.go) for the fields the
// kubelet acts on: a static pod never passes an API server, so the kubelet applies these
// itself before hashing and running it.

#include "api/k8s/pod.h"

namespace capstan::api::k8s {

// restartPolicy Always, terminationGracePeriodSeconds 30, dnsPolicy ClusterFirst,
// enableServiceLinks true, namespace "default"; per container: imagePullPolicy (Always for
// ":latest" or no tag, else IfNotPresent), terminationMessagePath/Policy, port protocol
// TCP (and hostPort = containerPort on the host network), requests from limits, probe
// timings (timeout 1, period 10, success 1, failure 3), httpGet path "/" and scheme HTTP;
// a volume with no source is an emptyDir.
Pod WithDefaults(Pod pod);

// The pull policy the API server picks when none is given.
std::string DefaultImagePullPolicy(const std::string& image);

}  // namespace capstan::api::k8s
