#pragma once
// CancelToken: lets one thread stop a blocking call another thread is in (a streaming RPC
// such as CRI GetContainerEvents). The caller owns the token and calls Cancel; the callee
// checks Cancelled between steps and registers OnCancel callbacks to interrupt what it
// blocks on (a gRPC ClientContext::TryCancel, a condition variable).
//
// A token may also be cancelled by something it polls (a gRPC ServerContext::IsCancelled):
// such a cancellation is seen by Cancelled() but runs no callbacks, so a callee that blocks
// must wake up now and then to look.
//
// Thread-safe. Callbacks run on the cancelling thread, under the token's lock: they must be
// short and must not call back into the token.

#include <atomic>
#include <functional>
#include <map>
#include <mutex>

namespace capstan {

class CancelToken {
 public:
  CancelToken() = default;
  explicit CancelToken(std::function<bool()> poll) : poll_(std::move(poll)) {}
  CancelToken(const CancelToken&) = delete;
  CancelToken& operator=(const CancelToken&) = delete;

  // Idempotent; runs every registered callback once.
  void Cancel();
  bool Cancelled() const;

  // Unregisters its callback when destroyed; once the destructor returns the callback is not
  // running and never will.
  class Registration {
   public:
    Registration() = default;
    Registration(const CancelToken* token, int id) : token_(token), id_(id) {}
    Registration(Registration&& o) noexcept : token_(o.token_), id_(o.id_) { o.token_ = nullptr; }
    Registration& operator=(Registration&& o) noexcept;
    ~Registration();

   private:
    const CancelToken* token_ = nullptr;
    int id_ = 0;
  };
  // Runs `fn` when Cancel is called, or at once (on this thread) if it was already.
  [[nodiscard]] Registration OnCancel(std::function<void()> fn) const;

 private:
  void Unregister(int id) const;

  std::function<bool()> poll_;
  std::atomic<bool> cancelled_{false};
  mutable std::mutex mu_;
  mutable std::map<int, std::function<void()>> callbacks_;
  mutable int next_id_ = 1;
};

}  // namespace capstan
