#pragma once
// CniError: the error a plugin reports on stdout (SPEC section 5, "Error"), with the spec's
// well-known codes. Plugins return CniResult<T>/CniStatus from every command step; errors from
// capstan's common layer (files, processes) are converted where they enter, choosing the code.

#include <expected>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "common/error.h"

namespace capstan::cni {

// Well-known codes (0-99 are reserved by the spec; 100+ are ours).
enum ErrorCode : int {
  kIncompatibleVersion = 1,
  kUnsupportedField = 2,
  kUnknownContainer = 3,
  kInvalidEnvironment = 4,
  kIoFailure = 5,
  kDecodingFailure = 6,
  kInvalidConfig = 7,
  kTryAgainLater = 11,
  kNotAvailable = 50,
  kLimitedConnectivity = 51,
  // Plugin-specific: an operation on the kernel or the file system failed. libcni uses 999
  // for errors a plugin did not classify; so do we.
  kInternal = 999,
};

struct CniError {
  int code = kInternal;
  std::string msg;
  std::string details;

  // {"cniVersion": ..., "code": ..., "msg": ..., "details": ...}
  std::string ToJson(const std::string& cni_version) const;
  std::string ToString() const { return details.empty() ? msg : msg + ": " + details; }
};

template <typename T>
using CniResult = std::expected<T, CniError>;
using CniStatus = std::expected<void, CniError>;

template <typename... Args>
std::unexpected<CniError> CniFail(int code, fmt::format_string<Args...> f, Args&&... args) {
  return std::unexpected<CniError>(CniError{code, fmt::format(f, std::forward<Args>(args)...), ""});
}

// An error from the common layer, reported with `code` and `context` as its message.
inline CniError FromError(const Error& e, std::string context, int code = kInternal) {
  return CniError{code, std::move(context), e.message()};
}

}  // namespace capstan::cni

// Propagates a capstan::Result error as a CniError: CNI_TRY_AS(ReadFile(p), kIoFailure, "..").
#define CNI_TRY_AS(expr, code, ...)                                                       \
  do {                                                                                    \
    auto&& cni_try_r_ = (expr);                                                           \
    if (!cni_try_r_) {                                                                    \
      return std::unexpected(                                                             \
          ::capstan::cni::FromError(cni_try_r_.error(), fmt::format(__VA_ARGS__), code)); \
    }                                                                                     \
  } while (0)
