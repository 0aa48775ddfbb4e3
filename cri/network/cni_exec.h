#pragma once
// Running one CNI plugin (SPEC section 2, the runtime's side): the executable named by the
// plugin's type, found in the configured bin dirs, run with CNI_* in its environment (the
// rest of ours inherited, as libcni does: plugins need PATH) and the request config on stdin.
// A plugin's error result comes back as an Error carrying its code and message.

#include <chrono>
#include <string>
#include <vector>

#include "common/error.h"

namespace capstan::cri::network {

struct CniInvocation {
  std::string command;  // ADD, DEL, CHECK, STATUS, GC, VERSION
  std::string container_id;
  std::string netns;
  std::string ifname;
  std::string cni_args;  // "K=V;K2=V2"
  std::string stdin_json;
};

class CniExec {
 public:
  CniExec(std::vector<std::string> bin_dirs, std::chrono::milliseconds timeout)
      : bin_dirs_(std::move(bin_dirs)), timeout_(timeout) {}

  // The executable for `type`; NotFound naming the dirs searched.
  Result<std::string> Find(const std::string& type) const;
  // Runs it; returns stdout on success. Unavailable for code 11 (try again later), Internal
  // for other plugin errors, DeadlineExceeded on timeout.
  Result<std::string> Run(const std::string& type, const CniInvocation& inv) const;
  // CNI_PATH for plugins (delegation finds IPAM plugins through it).
  std::string CniPath() const;
  const std::vector<std::string>& bin_dirs() const { return bin_dirs_; }

 private:
  std::vector<std::string> bin_dirs_;
  std::chrono::milliseconds timeout_;
};

}  // namespace capstan::cri::network
