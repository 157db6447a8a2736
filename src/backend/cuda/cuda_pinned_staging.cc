#include "backend/cuda/cuda_pinned_staging.h"

#include <cuda_runtime_api.h>

#include <cstring>

#include "backend/cuda/cuda_check.h"

namespace halo::backend::cuda {

PinnedStaging::PinnedStaging() {
  check(cudaMallocHost(reinterpret_cast<void**>(&ring_), kBlockBytes * kBlocks), "pinned staging");
  for (void*& e : events_) {
    cudaEvent_t event = nullptr;
    check(cudaEventCreateWithFlags(&event, cudaEventDisableTiming), "pinned staging");
    e = event;
  }
}

PinnedStaging::~PinnedStaging() {
  // Destructors must not throw: errors here would resurface at the next checked call.
  for (void* e : events_) {
    if (e) cudaEventDestroy(static_cast<cudaEvent_t>(e));
  }
  if (ring_) cudaFreeHost(ring_);  // waits for the copies still reading it
}

bool PinnedStaging::copy(void* dst, const void* data, size_t bytes) {
  if (bytes > kBlockBytes) return false;
  const int block = next_;
  next_ = (next_ + 1) % kBlocks;
  auto event = static_cast<cudaEvent_t>(events_[block]);
  // The copy that last read this block was queued kBlocks stagings ago; it has almost always run.
  if (used_[block]) check(cudaEventSynchronize(event), "pinned staging");
  char* host = ring_ + size_t(block) * kBlockBytes;
  std::memcpy(host, data, bytes);
  check(cudaMemcpyAsync(dst, host, bytes, cudaMemcpyHostToDevice, nullptr), "stage");
  check(cudaEventRecord(event, nullptr), "pinned staging");
  used_[block] = true;
  return true;
}

}  // namespace halo::backend::cuda
