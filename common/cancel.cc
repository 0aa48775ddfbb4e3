#include "common/cancel.h"

namespace capstan {

void CancelToken::Cancel() {
  std::lock_guard lock(mu_);
  if (cancelled_.exchange(true)) {
    return;
  }
  for (auto& [id, fn] : callbacks_) {
    fn();
  }
}

bool CancelToken::Cancelled() const { return cancelled_.load() || (poll_ && poll_()); }

CancelToken::Registration CancelToken::OnCancel(std::function<void()> fn) const {
  std::lock_guard lock(mu_);
  if (cancelled_.load()) {
    fn();
    return Registration();
  }
  int id = next_id_++;
  callbacks_.emplace(id, std::move(fn));
  return Registration(this, id);
}

void CancelToken::Unregister(int id) const {
  std::lock_guard lock(mu_);
  callbacks_.erase(id);
}

CancelToken::Registration& CancelToken::Registration::operator=(Registration&& o) noexcept {
  if (this != &o) {
    if (token_) {
      token_->Unregister(id_);
    }
    token_ = o.token_;
    id_ = o.id_;
    o.token_ = nullptr;
  }
  return *this;
}

CancelToken::Registration::~Registration() {
  if (token_) {
    token_->Unregister(id_);
  }
}

}  // namespace capstan
