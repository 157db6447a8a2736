// Small host→device copies that never make the host wait for the GPU. cudaMemcpyAsync from
// pageable memory may first wait for the stream to drain, so every staged array (a decoding step's
// positions, copy tables, token ids) used to stop the host until the GPU caught up — several times
// a layer — and the host's launches stopped overlapping the GPU's work. From page-locked memory
// the copy is truly queued; the page-locked bytes then must not be reused before the copy has read
// them, so they come from a ring of blocks, each with an event recorded after its copy and waited
// on (normally long complete) before the block is refilled.
#pragma once

#include <cstddef>

namespace halo::backend::cuda {

class PinnedStaging {
 public:
  static constexpr size_t kBlockBytes = size_t(64) << 10;
  static constexpr int kBlocks = 64;

  PinnedStaging();  // allocates the ring (4 MiB page-locked)
  ~PinnedStaging();
  PinnedStaging(const PinnedStaging&) = delete;
  PinnedStaging& operator=(const PinnedStaging&) = delete;

  // Queues a copy of `bytes` from host `data` to device `dst` on the legacy stream; `data` may go
  // away at once. False (nothing queued) when bytes > kBlockBytes: the caller copies another way.
  bool copy(void* dst, const void* data, size_t bytes);

 private:
  char* ring_ = nullptr;
  void* events_[kBlocks] = {};  // cudaEvent_t, recorded after the copy out of each block
  bool used_[kBlocks] = {};
  int next_ = 0;
};

}  // namespace halo::backend::cuda
