#pragma once
// nftables through libnftables, loaded with dlopen the first time a plugin needs a rule: most
// commands (and every plugin invocation without ipMasq or port mappings) never pay for loading
// it and its dependencies. Commands are nft's own syntax, built only from values this code
// validated or produced (addresses it printed, numbers, hashes), never from raw input.
//
// Each attachment gets tables of its own (see masq_rules.h, portmap_rules.h), so adding and
// removing rules never needs a rule handle: "add table T; delete table T" removes T whether
// or not it existed, in one transaction.

#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace capstan::cni {

class Nft {
 public:
  // Loads libnftables.so.1 (once per process) and makes a context.
  static Result<Nft> Open();
  Nft(Nft&& o) noexcept;
  ~Nft();

  // Runs a batch of commands atomically; the error carries nft's message.
  Status Run(std::string_view commands);
  // Runs a listing command and returns its JSON output.
  Result<std::string> RunJson(std::string_view command);

 private:
  explicit Nft(void* ctx) : ctx_(ctx) {}
  void* ctx_ = nullptr;
};

// Names of tables in `family` starting with `prefix` ("list tables" filtered).
Result<std::vector<std::string>> ListTables(Nft& nft, std::string_view family,
                                            std::string_view prefix);
// "add table F T\ndelete table F T\n": deletes T when present, succeeds when not.
std::string DeleteTableCommand(std::string_view family, std::string_view table);

// Table names: "<prefix><hash(network)>_<hash(containerID:ifname)>", so a network's tables
// share NetworkTablePrefix and GC can tell whose a table is from its name alone.
std::string NetworkTablePrefix(std::string_view prefix, const std::string& network);
std::string AttachmentTable(std::string_view prefix, const std::string& network,
                            const std::string& container_id, const std::string& ifname);
// Only [A-Za-z0-9_.:/= -] survive into an nft comment (at most 120 bytes).
std::string NftComment(const std::string& s);

}  // namespace capstan::cni
