#include "backend/cuda/cuda_lazy_zero.h"

#include <cuda_runtime_api.h>

#include <algorithm>
#include <iterator>

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
  if (begin >= end) return;
  Ranges& owed = it->second.second;
  // The ranges are sorted and disjoint. Skip those that end at or before `begin` (a binary
  // search: a KV cache slab owes one tail per layer, and most ops touch none of them).
  auto first = std::partition_point(owed.begin(), owed.end(), [&](const auto& r) { return r.second <= begin; });
  auto last = first;
  while (last != owed.end() && last->first < end) ++last;
  if (first == last) return;
  // [first, last) overlap [begin, end): zero the overlaps if asked, keep the parts outside.
  const size_t head_begin = first->first, tail_end = std::prev(last)->second;
  if (zero) {
    for (auto r = first; r != last; ++r) {
      const size_t lo = std::max(r->first, begin), hi = std::min(r->second, end);
      check(cudaMemsetAsync(reinterpret_cast<char*>(it->first) + lo, 0, hi - lo, nullptr), "alloc (zero fill)");
    }
  }
  Ranges outside;
  if (head_begin < begin) outside.emplace_back(head_begin, begin);
  if (end < tail_end) outside.emplace_back(end, tail_end);
  auto at = owed.erase(first, last);
  owed.insert(at, outside.begin(), outside.end());
  if (owed.empty()) owing_.erase(it);
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
