#pragma once
// ServiceAddresses: the ClusterIPs and NodePorts of Services, unique across the cluster.
// kube-apiserver keeps allocation bitmaps in storage; here the Services themselves are the
// record: a new Service gets a free address and free node ports (or the ones it asks for,
// when free). Two Services created at the same moment could draw the same random address;
// with 65,000 addresses that is rare, and kube-apiserver's bitmap is the fix when it matters.

#include <set>
#include <string>

#include "control-plane/apiserver/registry.h"

namespace capstan::control_plane::apiserver {

class ServiceAddresses {
 public:
  // `cidr` like "10.43.0.0/16"; its first address is the `kubernetes` Service's.
  ServiceAddresses(storage::Store* store, std::string cidr);

  // Makes `service`'s clusterIP and nodePorts free ones; an asked-for address that is taken
  // or outside the range is a 422 naming the field.
  ApiResult<void> Allocate(Json& service);

 private:
  void Used(std::set<uint32_t>* ips, std::set<int64_t>* ports);

  storage::Store* store_;
  uint32_t base_ = 0;
  uint32_t size_ = 0;
};

}  // namespace capstan::control_plane::apiserver
