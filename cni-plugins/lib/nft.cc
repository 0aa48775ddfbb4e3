#include "cni-plugins/lib/nft.h"

#include <dlfcn.h>
#include <nftables/libnftables.h>

#include <nlohmann/json.hpp>

#include "cni-plugins/lib/hash.h"

namespace capstan::cni {

namespace {

struct NftApi {
  decltype(&nft_ctx_new) ctx_new = nullptr;
  decltype(&nft_ctx_free) ctx_free = nullptr;
  decltype(&nft_ctx_buffer_output) buffer_output = nullptr;
  decltype(&nft_ctx_buffer_error) buffer_error = nullptr;
  decltype(&nft_ctx_get_output_buffer) get_output = nullptr;
  decltype(&nft_ctx_get_error_buffer) get_error = nullptr;
  decltype(&nft_ctx_output_set_flags) set_output_flags = nullptr;
  decltype(&nft_run_cmd_from_buffer) run = nullptr;
  std::string load_error;
};

const NftApi& Api() {
  static const NftApi api = [] {
    NftApi a;
    void* h = ::dlopen("libnftables.so.1", RTLD_NOW | RTLD_LOCAL);
    if (h == nullptr) {
      const char* e = ::dlerror();
      a.load_error = e != nullptr ? e : "dlopen failed";
      return a;
    }
    auto sym = [&](auto& fn, const char* name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(::dlsym(h, name));
      if (fn == nullptr && a.load_error.empty()) {
        a.load_error = fmt::format("libnftables has no {}", name);
      }
    };
    sym(a.ctx_new, "nft_ctx_new");
    sym(a.ctx_free, "nft_ctx_free");
    sym(a.buffer_output, "nft_ctx_buffer_output");
    sym(a.buffer_error, "nft_ctx_buffer_error");
    sym(a.get_output, "nft_ctx_get_output_buffer");
    sym(a.get_error, "nft_ctx_get_error_buffer");
    sym(a.set_output_flags, "nft_ctx_output_set_flags");
    sym(a.run, "nft_run_cmd_from_buffer");
    return a;
  }();
  return api;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
    s.pop_back();
  }
  return s;
}

}  // namespace

Result<Nft> Nft::Open() {
  const NftApi& api = Api();
  if (!api.load_error.empty()) {
    return Fail(Code::kUnavailable, "loading libnftables: {}", api.load_error);
  }
  nft_ctx* ctx = api.ctx_new(NFT_CTX_DEFAULT);
  if (ctx == nullptr) {
    return Fail(Code::kInternal, "creating an nftables context");
  }
  api.buffer_output(ctx);
  api.buffer_error(ctx);
  return Nft(ctx);
}

Nft::Nft(Nft&& o) noexcept : ctx_(std::exchange(o.ctx_, nullptr)) {}

Nft::~Nft() {
  if (ctx_ != nullptr) {
    Api().ctx_free(static_cast<nft_ctx*>(ctx_));
  }
}

Status Nft::Run(std::string_view commands) {
  auto* ctx = static_cast<nft_ctx*>(ctx_);
  const NftApi& api = Api();
  api.set_output_flags(ctx, 0);
  std::string buf(commands);
  if (api.run(ctx, buf.c_str()) != 0) {
    return Fail(Code::kInternal, "nftables: {}", Trim(api.get_error(ctx)));
  }
  return Ok();
}

Result<std::string> Nft::RunJson(std::string_view command) {
  auto* ctx = static_cast<nft_ctx*>(ctx_);
  const NftApi& api = Api();
  api.set_output_flags(ctx, NFT_CTX_OUTPUT_JSON);
  std::string buf(command);
  int rc = api.run(ctx, buf.c_str());
  api.set_output_flags(ctx, 0);
  if (rc != 0) {
    return Fail(Code::kInternal, "nftables: {}", Trim(api.get_error(ctx)));
  }
  return std::string(api.get_output(ctx));
}

Result<std::vector<std::string>> ListTables(Nft& nft, std::string_view family,
                                            std::string_view prefix) {
  CAPSTAN_ASSIGN_OR_RETURN(std::string out, nft.RunJson(fmt::format("list tables {}", family)));
  std::vector<std::string> names;
  auto j = nlohmann::json::parse(out, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("nftables") || !j["nftables"].is_array()) {
    return Fail(Code::kInternal, "nftables: unexpected listing {:?}", out.substr(0, 200));
  }
  for (const auto& item : j["nftables"]) {
    if (!item.is_object() || !item.contains("table") || !item["table"].is_object()) {
      continue;
    }
    const auto& t = item["table"];
    if (!t.contains("name") || !t["name"].is_string()) {
      continue;
    }
    std::string name = t["name"];
    if (name.compare(0, prefix.size(), prefix) == 0) {
      names.push_back(name);
    }
  }
  return names;
}

std::string DeleteTableCommand(std::string_view family, std::string_view table) {
  return fmt::format("add table {0} {1}\ndelete table {0} {1}\n", family, table);
}

std::string NetworkTablePrefix(std::string_view prefix, const std::string& network) {
  return std::string(prefix) + HashHex(network) + "_";
}

std::string AttachmentTable(std::string_view prefix, const std::string& network,
                            const std::string& container_id, const std::string& ifname) {
  return NetworkTablePrefix(prefix, network) + HashHex(container_id + ":" + ifname);
}

std::string NftComment(const std::string& s) {
  std::string out;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == ':' || c == '-' || c == '/' || c == ' ' || c == '=';
    out += ok ? c : '_';
  }
  return out.substr(0, 120);
}

}  // namespace capstan::cni
