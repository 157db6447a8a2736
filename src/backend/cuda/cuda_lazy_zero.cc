#include "backend/cuda/cuda_lazy_zero.h"

#include <cuda_runtime_api.h>

#include <algorithm>

#include "backend/cuda/cuda_check.h"

namespace halo::backend::cuda {

void LazyZero::owe(void* base, size_t bytes) {
  owing_[reinterpret_cast<uintptr_t>(base)] = {bytes, Ranges{{0, bytes}}};
}

void LazyZero::forget(void* base) { owing_.erase(reinterpret_cast<uintptr_t>(base)); }

std::pair<std::map<uintptr_t, std::pair<size_t, LazyZero::Ranges>>::iterator, size_t> LazyZero::find(
    const void* p) {
  const auto address = reinterpret_cast<uintptr_t>(p);
  auto it = owing_.upper_bound(address);
  if (it == owing_.begin()) return {owing_.end(), 0};
  --it;
  if (address >= it->first + it->second.first) return {owing_.end(), 0};
  return {it, size_t(address - it->first)};
}

void LazyZero::settle(std::map<uintptr_t, std::pair<size_t, Ranges>>::iterator it, size_t begin,
                      size_t end, bool zero) {
  Ranges& owed = it->second.second;
  // The usual case, an op writing a whole new tensor: nothing is left owed, and nothing to zero.
  if (!zero && owed.size() == 1 && begin <= owed[0].first && end >= owed[0].second) {
    owing_.erase(it);
    return;
  }
  Ranges kept;
  for (auto [b, e] : owed) {
    const size_t lo = std::max(b, begin), hi = std::min(e, end);
    if (lo >= hi) {
      kept.emplace_back(b, e);
      continue;
    }
    if (zero) {
      check(cudaMemsetAsync(reinterpret_cast<char*>(it->first) + lo, 0, hi - lo, nullptr),
            "alloc (zero fill)");
    }
    if (b < lo) kept.emplace_back(b, lo);
    if (hi < e) kept.emplace_back(hi, e);
  }
  if (kept.empty()) {
    owing_.erase(it);
  } else {
    owed = std::move(kept);
  }
}

void LazyZero::before_read(const void* p, size_t bytes) {
  if (owing_.empty()) return;
  auto [it, offset] = find(p);
  if (it != owing_.end()) settle(it, offset, offset + bytes, true);
}

void LazyZero::before_write(const void* p, size_t bytes) {
  if (owing_.empty()) return;
  auto [it, offset] = find(p);
  if (it != owing_.end()) settle(it, offset, offset + bytes, false);
}

}  // namespace halo::backend::cuda
