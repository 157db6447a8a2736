#include "base/thread_pool.h"

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <string>

namespace halo {

namespace {

// Share `index` of `parts` equal-as-possible chunks of [0, n).
std::pair<size_t, size_t> chunk(size_t n, size_t parts, size_t index) {
  size_t base = n / parts, extra = n % parts;
  size_t begin = index * base + std::min(index, extra);
  return {begin, begin + base + (index < extra ? 1 : 0)};
}

}  // namespace

ThreadPool::ThreadPool(size_t threads) {
  size_t extra = threads > 1 ? threads - 1 : 0;
  for (size_t i = 0; i < extra; ++i) workers_.emplace_back([this, i] { worker_loop(i + 1); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::worker_loop(size_t index) {
  size_t seen = 0;
  for (;;) {
    const std::function<void(size_t, size_t)>* job;
    size_t n;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      job = job_;
      n = job_n_;
    }
    auto [begin, end] = chunk(n, size(), index);
    std::exception_ptr error;
    if (begin < end) {
      try {
        (*job)(begin, end);
      } catch (...) {
        error = std::current_exception();
      }
    }
    std::lock_guard lock(mutex_);
    if (error && !error_) error_ = error;
    if (--pending_ == 0) done_.notify_one();
  }
}

void ThreadPool::parallel_for(size_t n, const std::function<void(size_t, size_t)>& fn) {
  if (n == 0) return;
  if (workers_.empty() || n == 1) {
    fn(0, n);
    return;
  }
  // One job at a time: callers on other threads (sweep workers sharing the CPU) wait their turn.
  std::lock_guard call(call_mutex_);
  {
    std::lock_guard lock(mutex_);
    job_ = &fn;
    job_n_ = n;
    pending_ = workers_.size();
    error_ = nullptr;
    ++generation_;
  }
  wake_.notify_all();
  auto [begin, end] = chunk(n, size(), 0);
  std::exception_ptr own_error;
  try {
    if (begin < end) fn(begin, end);
  } catch (...) {
    own_error = std::current_exception();
  }
  std::unique_lock lock(mutex_);
  done_.wait(lock, [&] { return pending_ == 0; });
  std::exception_ptr error = own_error ? own_error : error_;
  job_ = nullptr;
  if (error) std::rethrow_exception(error);
}

ThreadPool& ThreadPool::global() {
  static ThreadPool pool([] {
    if (const char* env = std::getenv("HALO_NUM_THREADS")) {
      int n = std::atoi(env);
      if (n > 0) return size_t(n);
    }
    return size_t(std::max(1u, std::thread::hardware_concurrency()));
  }());
  return pool;
}

}  // namespace halo
