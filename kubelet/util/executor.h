#pragma once
// Executor: where the kubelet runs work that may block (a pod's sync, a probe). Production
// uses a thread pool; tests use ManualExecutor and run queued work when they choose, so
// every interleaving is deterministic.

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace capstan::kubelet::util {

class Executor {
 public:
  virtual ~Executor() = default;
  // Runs `fn` some time later, on some thread. Never runs it inline (callers may hold locks).
  virtual void Post(std::function<void()> fn) = 0;
};

// A fixed pool of threads; the destructor finishes queued work and joins.
class ThreadPoolExecutor : public Executor {
 public:
  explicit ThreadPoolExecutor(int threads);
  ~ThreadPoolExecutor() override;
  void Post(std::function<void()> fn) override;

 private:
  void Loop();
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

// Queues work until the test runs it on its own thread.
class ManualExecutor : public Executor {
 public:
  void Post(std::function<void()> fn) override;
  // Runs queued work, including work queued meanwhile, until the queue is empty; returns
  // how many items ran.
  int RunAll();
  // Runs at most one item; false when there was none.
  bool RunOne();
  size_t Pending() const;

 private:
  mutable std::mutex mu_;
  std::deque<std::function<void()>> queue_;
};

}  // namespace capstan::kubelet::util
