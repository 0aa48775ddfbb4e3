#include "kubelet/util/executor.h"

namespace capstan::kubelet::util {

ThreadPoolExecutor::ThreadPoolExecutor(int threads) {
  for (int i = 0; i < threads; ++i) {
    threads_.emplace_back([this] { Loop(); });
  }
}

ThreadPoolExecutor::~ThreadPoolExecutor() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) {
    t.join();
  }
}

void ThreadPoolExecutor::Post(std::function<void()> fn) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(fn));
  }
  cv_.notify_one();
}

void ThreadPoolExecutor::Loop() {
  while (true) {
    std::function<void()> fn;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) {
        return;
      }
      fn = std::move(queue_.front());
      queue_.pop_front();
    }
    fn();
  }
}

void ManualExecutor::Post(std::function<void()> fn) {
  std::lock_guard lock(mu_);
  queue_.push_back(std::move(fn));
}

bool ManualExecutor::RunOne() {
  std::function<void()> fn;
  {
    std::lock_guard lock(mu_);
    if (queue_.empty()) {
      return false;
    }
    fn = std::move(queue_.front());
    queue_.pop_front();
  }
  fn();
  return true;
}

int ManualExecutor::RunAll() {
  int n = 0;
  while (RunOne()) {
    ++n;
  }
  return n;
}

size_t ManualExecutor::Pending() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

}  // namespace capstan::kubelet::util
