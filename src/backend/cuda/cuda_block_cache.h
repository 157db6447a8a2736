// Small device blocks kept for reuse. A decoding step allocates a few hundred small tensors (each
// op's output) and frees them again; taking them from cudaMallocAsync's pool costs host time per
// call, and a decoding step is bound by host time. Blocks up to kMaxBlockBytes go back here instead
// and are handed out again for the same size. That is safe without events because every op runs on
// the one (legacy default) stream: the next user of a block is queued after every op that used it
// before. Larger blocks (prefill activations, whose sizes rarely repeat) go back to the pool.
#pragma once

#include <cstddef>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace halo::backend::cuda {

class BlockCache {
 public:
  static constexpr size_t kMaxBlockBytes = size_t(2) << 20;
  static constexpr size_t kMaxHeldBytes = size_t(256) << 20;

  BlockCache() = default;
  BlockCache(const BlockCache&) = delete;
  BlockCache& operator=(const BlockCache&) = delete;
  ~BlockCache();  // frees the blocks it holds

  // A kept block of exactly `bytes`, or nullptr.
  void* take(size_t bytes);
  // Keeps the block for reuse, or frees it (stream-ordered) when it is large or the cache is full.
  void give(void* block, size_t bytes);
  // Frees every kept block (before an allocation that ran out of memory is retried).
  void release();

 private:
  std::mutex mutex_;  // tensors may be dropped on another thread than the one that made them
  std::unordered_map<size_t, std::vector<void*>> kept_;
  size_t held_ = 0;
};

}  // namespace halo::backend::cuda
