#include "cni-plugins/host-local/allocator.h"

namespace capstan::cni::host_local {

namespace {

unsigned __int128 ToInt(const IpAddr& a) {
  unsigned __int128 v = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    v = (v << 8) | a.data()[i];
  }
  return v;
}

// Walks the set from just after `last` (or from the first range's start), once around.
class RangeIter {
 public:
  RangeIter(const RangeSet& set, std::optional<IpAddr> last) : set_(set) {
    if (last) {
      for (size_t i = 0; i < set.size(); ++i) {
        if (set[i].Contains(*last)) {
          idx_ = i;
          cur_ = *last;
          return;
        }
      }
    }
  }

  // The next candidate and its range, or nullopt when the set has been walked once.
  std::optional<std::pair<IpAddr, const Range*>> Next() {
    for (;;) {
      const Range* r = &set_[idx_];
      if (!cur_) {
        cur_ = r->range_start;
      } else if (*cur_ == r->range_end) {
        idx_ = (idx_ + 1) % set_.size();
        r = &set_[idx_];
        cur_ = r->range_start;
      } else {
        cur_ = cur_->Next();
      }
      if (!start_) {
        start_ = cur_;
      } else if (*cur_ == *start_) {
        return std::nullopt;
      }
      if (*cur_ == r->gateway) {
        continue;
      }
      return std::make_pair(*cur_, r);
    }
  }

 private:
  const RangeSet& set_;
  size_t idx_ = 0;
  std::optional<IpAddr> cur_;
  std::optional<IpAddr> start_;
};

}  // namespace

CniResult<IpConfig> Allocator::Get(const std::string& id, const std::string& ifname,
                                   const std::optional<IpAddr>& requested,
                                   const std::vector<Allocation>& existing) {
  if (requested) {
    const Range* r = RangeFor(set_, *requested);
    if (r == nullptr) {
      return CniFail(kInvalidConfig, "requested IP {} is not in range set {}",
                     requested->ToString(), RangeSetString(set_));
    }
    if (*requested == r->gateway) {
      return CniFail(kInvalidConfig, "requested ip {} is subnet's gateway", requested->ToString());
    }
    auto ok = store_.Reserve(id, ifname, *requested, range_id_);
    if (!ok) {
      return std::unexpected(FromError(ok.error(), "reserving an address", kIoFailure));
    }
    if (!*ok) {
      return CniFail(kInternal, "requested IP address {} is not available in range set {}",
                     requested->ToString(), RangeSetString(set_));
    }
    return IpConfig{IpNet{*requested, r->subnet.prefix}, r->gateway, std::nullopt};
  }
  for (const auto& a : existing) {
    if ((a.container_id == id && (a.ifname == ifname || a.ifname.empty())) &&
        RangeSetContains(set_, a.ip)) {
      return CniFail(kInternal, "{} has been allocated to {}, duplicate allocation is not allowed",
                     a.ip.ToString(), id);
    }
  }
  RangeIter it(set_, store_.LastReserved(range_id_));
  while (auto cand = it.Next()) {
    auto ok = store_.Reserve(id, ifname, cand->first, range_id_);
    if (!ok) {
      return std::unexpected(FromError(ok.error(), "reserving an address", kIoFailure));
    }
    if (*ok) {
      return IpConfig{IpNet{cand->first, cand->second->subnet.prefix}, cand->second->gateway,
                      std::nullopt};
    }
  }
  return CniFail(kInternal, "no IP addresses available in range set: {}", RangeSetString(set_));
}

unsigned __int128 Capacity(const RangeSet& set) {
  unsigned __int128 total = 0;
  for (const auto& r : set) {
    unsigned __int128 n = ToInt(r.range_end) - ToInt(r.range_start) + 1;
    if (r.Contains(r.gateway)) {
      n -= 1;
    }
    total = total + n < total ? ~static_cast<unsigned __int128>(0) : total + n;
  }
  return total;
}

}  // namespace capstan::cni::host_local
