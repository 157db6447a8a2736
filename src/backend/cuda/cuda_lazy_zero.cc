#include "backend/cuda/cuda_lazy_zero.h"

#include <cuda_runtime_api.h>

#include "backend/cuda/cuda_check.h"

namespace halo::backend::cuda {

void LazyZero::owe(void* base, size_t bytes) { owing_[reinterpret_cast<uintptr_t>(base)] = bytes; }

void LazyZero::forget(void* base) { owing_.erase(reinterpret_cast<uintptr_t>(base)); }

std::map<uintptr_t, size_t>::iterator LazyZero::find(const void* p) {
  const auto address = reinterpret_cast<uintptr_t>(p);
  auto it = owing_.upper_bound(address);
  if (it == owing_.begin()) return owing_.end();
  --it;
  return address < it->first + it->second ? it : owing_.end();
}

void LazyZero::pay(std::map<uintptr_t, size_t>::iterator it) {
  check(cudaMemsetAsync(reinterpret_cast<void*>(it->first), 0, it->second, nullptr), "alloc (zero fill)");
  owing_.erase(it);
}

void LazyZero::before_read(const void* p) {
  if (owing_.empty()) return;
  auto it = find(p);
  if (it != owing_.end()) pay(it);
}

void LazyZero::before_write(void* p, size_t bytes) {
  if (owing_.empty()) return;
  auto it = find(p);
  if (it == owing_.end()) return;
  if (it->first == reinterpret_cast<uintptr_t>(p) && bytes >= it->second) {
    owing_.erase(it);
  } else {
    pay(it);
  }
}

}  // namespace halo::backend::cuda
