// Device-side helpers shared by the .cu files: bf16 loads/stores and grid sizing.
#pragma once

#include <cuda_bf16.h>

#include <cstdint>

#include "backend/cuda/cuda_kernels.h"

namespace halo::backend::cuda {

__device__ __forceinline__ float load_f32(const bf16_bits* p) {
  return __bfloat162float(*reinterpret_cast<const __nv_bfloat16*>(p));
}
__device__ __forceinline__ void store_bf16(bf16_bits* p, float value) {
  *reinterpret_cast<__nv_bfloat16*>(p) = __float2bfloat16_rn(value);
}

// Eight bf16 values as one 16-byte access.
__device__ __forceinline__ void load8(const bf16_bits* p, float (&v)[8]) {
  const uint4 raw = *reinterpret_cast<const uint4*>(p);
  const auto* pairs = reinterpret_cast<const __nv_bfloat162*>(&raw);
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const float2 f = __bfloat1622float2(pairs[i]);
    v[2 * i] = f.x;
    v[2 * i + 1] = f.y;
  }
}
__device__ __forceinline__ void store8(bf16_bits* p, const float (&v)[8]) {
  uint4 raw;
  auto* pairs = reinterpret_cast<__nv_bfloat162*>(&raw);
#pragma unroll
  for (int i = 0; i < 4; ++i) pairs[i] = __floats2bfloat162_rn(v[2 * i], v[2 * i + 1]);
  *reinterpret_cast<uint4*>(p) = raw;
}

// True when every pointer is 16-byte aligned and n is a multiple of 8: the 16-byte path applies.
inline bool vectorizable(int64_t n, const void* a, const void* b = nullptr, const void* c = nullptr) {
  auto misaligned = [](const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 != 0; };
  return n % 8 == 0 && !misaligned(a) && !misaligned(b) && !misaligned(c);
}

// Blocks for a grid-stride loop over n items: enough to fill the GPU, never more than needed.
inline unsigned grid_for(int64_t n, int threads) {
  int64_t blocks = (n + threads - 1) / threads;
  if (blocks > 65535 * 8) blocks = 65535 * 8;
  return unsigned(blocks < 1 ? 1 : blocks);
}

}  // namespace halo::backend::cuda
