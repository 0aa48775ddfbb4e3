#pragma once
// Result<T> and Status: every fallible call in capstan returns one of these.
// An Error carries a code from a small closed set (mapped one-to-one onto gRPC codes at the
// edge), the errno where there is one, and a chain of context added as it travels up.

#include <cerrno>
#include <expected>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

namespace capstan {

enum class Code {
  kOk = 0,
  kInvalidArgument,
  kNotFound,
  kAlreadyExists,
  kFailedPrecondition,
  kPermissionDenied,
  kUnavailable,
  kDeadlineExceeded,
  kResourceExhausted,
  kOutOfRange,  // e.g. a revision older than the store's compaction (HTTP 410 Gone)
  kUnimplemented,
  kInternal,
};

std::string_view CodeName(Code code);

class Error {
 public:
  Error(Code code, std::string message, int err_no = 0)
      : code_(code), errno_(err_no), message_(std::move(message)) {}

  Code code() const { return code_; }
  int err_no() const { return errno_; }
  // The full message: outermost context first, then inner causes, then strerror.
  const std::string& message() const { return message_; }

  // Adds context: "creating container x: mounting a on b: No such file or directory".
  template <typename... Args>
  Error Wrap(fmt::format_string<Args...> f, Args&&... args) const& {
    Error e = *this;
    e.message_ = fmt::format(f, std::forward<Args>(args)...) + ": " + message_;
    return e;
  }
  template <typename... Args>
  Error&& Wrap(fmt::format_string<Args...> f, Args&&... args) && {
    message_ = fmt::format(f, std::forward<Args>(args)...) + ": " + message_;
    return std::move(*this);
  }

  std::string ToString() const { return fmt::format("{}: {}", CodeName(code_), message_); }

 private:
  Code code_;
  int errno_;
  std::string message_;
};

template <typename T>
using Result = std::expected<T, Error>;
using Status = std::expected<void, Error>;

inline std::unexpected<Error> Fail(Error e) { return std::unexpected<Error>(std::move(e)); }

template <typename... Args>
std::unexpected<Error> Fail(Code code, fmt::format_string<Args...> f, Args&&... args) {
  return std::unexpected<Error>(Error(code, fmt::format(f, std::forward<Args>(args)...)));
}

// An error from a failed syscall: the code follows errno (ENOENT -> NotFound, ...).
Error ErrnoError(int err_no, std::string context);
template <typename... Args>
std::unexpected<Error> FailErrno(fmt::format_string<Args...> f, Args&&... args) {
  int saved = errno;
  return std::unexpected<Error>(ErrnoError(saved, fmt::format(f, std::forward<Args>(args)...)));
}

inline Status Ok() { return {}; }

}  // namespace capstan

// Propagates an error out of the enclosing function, adding nothing.
#define CAPSTAN_TRY(expr)                             \
  do {                                                \
    auto&& capstan_try_r_ = (expr);                   \
    if (!capstan_try_r_) {                            \
      return std::unexpected(capstan_try_r_.error()); \
    }                                                 \
  } while (0)

// Like CAPSTAN_TRY, adding context: CAPSTAN_TRY_WRAP(Mount(..), "mount {}", dst).
#define CAPSTAN_TRY_WRAP(expr, ...)                                     \
  do {                                                                  \
    auto&& capstan_try_r_ = (expr);                                     \
    if (!capstan_try_r_) {                                              \
      return std::unexpected(capstan_try_r_.error().Wrap(__VA_ARGS__)); \
    }                                                                   \
  } while (0)

#define CAPSTAN_CONCAT_INNER(a, b) a##b
#define CAPSTAN_CONCAT(a, b) CAPSTAN_CONCAT_INNER(a, b)
// auto x = CAPSTAN_ASSIGN_OR_RETURN-style: declares `lhs` from a Result or returns its error.
#define CAPSTAN_ASSIGN_OR_RETURN(lhs, expr) \
  CAPSTAN_ASSIGN_OR_RETURN_IMPL(CAPSTAN_CONCAT(capstan_r_, __LINE__), lhs, expr)
#define CAPSTAN_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp) {                                         \
    return std::unexpected(std::move(tmp).error());   \
  }                                                   \
  lhs = std::move(*tmp)

// Broken invariants crash loudly; environmental failures never use this.
#define CAPSTAN_CHECK(cond)                              \
  do {                                                   \
    if (!(cond)) {                                       \
      ::capstan::CheckFailed(__FILE__, __LINE__, #cond); \
    }                                                    \
  } while (0)

namespace capstan {
[[noreturn]] void CheckFailed(const char* file, int line, const char* cond);
}
