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

// RMSNorm of one group of `group` elements by one warp (lane = this thread's lane), y = w * x /
// sqrt(mean(x²) + eps). W: elements per access (8 = one 16-byte load, when the group and pointers
// allow; else 1). kAdd: x += delta first, rounded to bf16 and stored (as the add kernel does), and
// the norm is of that sum; then y must not alias x. Without it y may alias x: x is read twice (the
// second read hits L1/L2, keeping registers free) and each lane rewrites only what it has read.
template <int W, bool kAdd>
__device__ __forceinline__ void warp_rms_norm(bf16_bits* x, const bf16_bits* delta, const bf16_bits* w,
                                              int group, float eps, bf16_bits* y, int lane) {
  float sum = 0;
  for (int i = lane * W; i < group; i += 32 * W) {
    float v[W];
    if constexpr (W == 8) {
      load8(x + i, v);
    } else {
      v[0] = load_f32(x + i);
    }
    if constexpr (kAdd) {
      float d[W];
      if constexpr (W == 8) {
        load8(delta + i, d);
      } else {
        d[0] = load_f32(delta + i);
      }
#pragma unroll
      for (int j = 0; j < W; ++j) v[j] = __bfloat162float(__float2bfloat16_rn(v[j] + d[j]));
      if constexpr (W == 8) {
        store8(x + i, v);
      } else {
        store_bf16(x + i, v[0]);
      }
    }
#pragma unroll
    for (int j = 0; j < W; ++j) sum += v[j] * v[j];
  }
  for (int offset = 16; offset > 0; offset /= 2) sum += __shfl_xor_sync(0xffffffffu, sum, offset);
  const float inv = rsqrtf(sum / float(group) + eps);
  for (int i = lane * W; i < group; i += 32 * W) {
    float v[W], s[W];
    if constexpr (W == 8) {
      load8(x + i, v);
      load8(w + i, s);
    } else {
      v[0] = load_f32(x + i);
      s[0] = load_f32(w + i);
    }
#pragma unroll
    for (int j = 0; j < W; ++j) v[j] = s[j] * (v[j] * inv);
    if constexpr (W == 8) {
      store8(y + i, v);
    } else {
      store_bf16(y + i, v[0]);
    }
  }
}

// sin and cos of RoPE's angle inv_freq·pos. The angle is formed and reduced modulo 2π in double, as
// the CPU reference forms it in double: at positions in the thousands an fp32 product loses the
// digits that decide sin/cos. sin/cos themselves are then fp32.
__device__ __forceinline__ void rope_sincos(float inv_freq, int64_t pos, float* s, float* c) {
  double angle = double(inv_freq) * double(pos);
  constexpr double kTwoPi = 6.283185307179586476925286766559;
  angle -= kTwoPi * rint(angle / kTwoPi);
  sincosf(float(angle), s, c);
}

// Rotate-half RoPE of elements i and i + half of one head.
__device__ __forceinline__ void rope_pair(bf16_bits* head, int i, int half, float s, float c) {
  const float a = load_f32(head + i), b = load_f32(head + i + half);
  store_bf16(head + i, a * c - b * s);
  store_bf16(head + i + half, b * c + a * s);
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
