#include "cri/runtime/sandbox_files.h"

#include <fmt/format.h>

namespace capstan::cri::runtime {

std::string ResolvConf(const ::runtime::v1::DNSConfig& dns, const std::string& host_resolv) {
  if (dns.servers_size() == 0 && dns.searches_size() == 0 && dns.options_size() == 0) {
    return host_resolv;
  }
  std::string out;
  if (dns.searches_size() > 0) {
    out += "search";
    for (const auto& s : dns.searches()) {
      out += " " + s;
    }
    out += "\n";
  }
  for (const auto& s : dns.servers()) {
    out += "nameserver " + s + "\n";
  }
  if (dns.options_size() > 0) {
    out += "options";
    for (const auto& o : dns.options()) {
      out += " " + o;
    }
    out += "\n";
  }
  return out;
}

std::string HostsFile(const std::string& hostname) {
  return fmt::format(
      "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
      "fe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\n"
      "fe00::2\tip6-allrouters\n127.0.1.1\t{}\n",
      hostname);
}

}  // namespace capstan::cri::runtime
