// A fixed pool of worker threads with a blocking parallel_for. The CPU backend splits rows/heads
// over it; OpenBLAS has its own threads for GEMM.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace halo {

class ThreadPool {
 public:
  explicit ThreadPool(size_t threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  size_t size() const { return workers_.size() + 1; }

  // Calls fn(begin, end) on disjoint sub-ranges covering [0, n); blocks until all are done.
  // The calling thread takes a share too. Exceptions from fn are rethrown here (the first one).
  // Calls from several threads run one after another; fn must not call parallel_for itself.
  void parallel_for(size_t n, const std::function<void(size_t, size_t)>& fn);

  // The process-wide pool, sized to the hardware (or HALO_NUM_THREADS).
  static ThreadPool& global();

 private:
  void worker_loop(size_t index);

  std::vector<std::thread> workers_;
  std::mutex call_mutex_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(size_t, size_t)>* job_ = nullptr;
  size_t job_n_ = 0;
  size_t generation_ = 0;
  size_t pending_ = 0;
  std::exception_ptr error_;
  bool stop_ = false;
};

}  // namespace halo
