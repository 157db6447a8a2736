// Zero-filling without the memsets. Backend::alloc promises zeros, but almost every tensor the
// runtime allocates is an op's output that the op overwrites completely, so an eager cudaMemset
// per allocation is wasted work (a launch each, and memory bandwidth for the large MLP buffers).
// Instead a new allocation "owes" its zeros: the debt is cancelled when an op overwrites the whole
// allocation, and paid (one memset of the whole allocation) just before anything reads it or
// writes only part of it. Reads therefore always see what a zero-filled tensor would hold.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>

namespace halo::backend::cuda {

class LazyZero {
 public:
  void owe(void* base, size_t bytes);
  void forget(void* base);  // the allocation is freed
  // Before an op reads `bytes` at p (any part of an allocation).
  void before_read(const void* p);
  // Before an op writes `bytes` at p: the whole allocation cancels the debt, a part pays it.
  void before_write(void* p, size_t bytes);

 private:
  // Allocations that still owe zeros, by base address; usually a handful.
  std::map<uintptr_t, size_t> owing_;
  std::map<uintptr_t, size_t>::iterator find(const void* p);
  void pay(std::map<uintptr_t, size_t>::iterator it);
};

}  // namespace halo::backend::cuda
