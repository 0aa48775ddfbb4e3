#pragma once
// Allocation from one range set, round robin as the reference plugin does: the search starts
// after the last address reserved from the set, so a crash-looping pod does not get its old
// address back until the whole set has been used; gateways are skipped.

#include <optional>
#include <string>
#include <vector>

#include "cni-plugins/host-local/config.h"
#include "cni-plugins/host-local/store.h"
#include "cni-plugins/lib/result.h"

namespace capstan::cni::host_local {

class Allocator {
 public:
  Allocator(const RangeSet& set, Store& store, int range_id)
      : set_(set), store_(store), range_id_(range_id) {}

  // Reserves `requested` when given, else the next free address. The caller holds the
  // store's lock and passes the current allocations (to refuse a second address for the same
  // attachment, as the spec requires).
  CniResult<IpConfig> Get(const std::string& id, const std::string& ifname,
                          const std::optional<IpAddr>& requested,
                          const std::vector<Allocation>& existing);

 private:
  const RangeSet& set_;
  Store& store_;
  int range_id_;
};

// How many addresses the set can hand out (saturating), gateways excluded.
unsigned __int128 Capacity(const RangeSet& set);

}  // namespace capstan::cni::host_local
