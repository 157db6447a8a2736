// Zero-filling without the memsets. Backend::alloc promises zeros, but the runtime overwrites
// almost everything it allocates before reading it (op outputs, KV-cache rows), so an eager memset
// per allocation is wasted work: a launch each, and bandwidth for the large buffers. Instead a new
// allocation owes its zeros as byte ranges: an op's write removes the range it covers, and just
// before an op reads a range, whatever part of it is still owed is zeroed then. Reads therefore
// always see what an eagerly zero-filled tensor would hold.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

namespace halo::backend::cuda {

class LazyZero {
 public:
  void owe(void* base, size_t bytes);
  void forget(void* base);  // the allocation is freed
  void before_read(const void* p, size_t bytes);
  void before_write(const void* p, size_t bytes);

 private:
  using Ranges = std::vector<std::pair<size_t, size_t>>;  // [begin, end) offsets still owed
  // Allocations that still owe zeros, by base address; usually a handful.
  std::map<uintptr_t, std::pair<size_t, Ranges>> owing_;
  // The allocation holding p and p's offset in it, or owing_.end().
  std::pair<std::map<uintptr_t, std::pair<size_t, Ranges>>::iterator, size_t> find(const void* p);
  // Removes [begin, end) from the allocation's owed ranges, zeroing the removed parts if `zero`.
  void settle(std::map<uintptr_t, std::pair<size_t, Ranges>>::iterator it, size_t begin, size_t end,
              bool zero);
};

}  // namespace halo::backend::cuda
