#include "backend/cuda/cuda_block_cache.h"

#include <cuda_runtime_api.h>

namespace halo::backend::cuda {

BlockCache::~BlockCache() { release(); }

void* BlockCache::take(size_t bytes) {
  std::lock_guard lock(mutex_);
  auto it = kept_.find(bytes);
  if (it == kept_.end() || it->second.empty()) return nullptr;
  void* block = it->second.back();
  it->second.pop_back();
  held_ -= bytes;
  return block;
}

void BlockCache::give(void* block, size_t bytes) {
  {
    std::lock_guard lock(mutex_);
    if (bytes <= kMaxBlockBytes && held_ + bytes <= kMaxHeldBytes) {
      kept_[bytes].push_back(block);
      held_ += bytes;
      return;
    }
  }
  // Errors cannot be reported from here (tensors free their storage in destructors); they would
  // resurface at the next checked call.
  cudaFreeAsync(block, nullptr);
}

void BlockCache::release() {
  std::lock_guard lock(mutex_);
  for (auto& [bytes, blocks] : kept_) {
    for (void* block : blocks) cudaFreeAsync(block, nullptr);
  }
  kept_.clear();
  held_ = 0;
}

}  // namespace halo::backend::cuda
