// RMSNorm over groups of columns: one warp per group (a row of the hidden state, or one head for
// Qwen3's q/k norms). Sum of squares in fp32; x is read twice (the second read hits L1/L2), which
// keeps registers free and lets y alias x: each lane rewrites only elements it has just read.
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_common.cuh"

namespace halo::backend::cuda {

namespace {

constexpr int kWarpsPerBlock = 8;

// W: elements per access (8 = one 16-byte load, when the group and pointers allow; else 1).
template <int W>
__global__ void rms_norm_kernel(const bf16_bits* x, const bf16_bits* w, int64_t groups, int group,
                                float eps, bf16_bits* y) {
  const int lane = threadIdx.x % 32;
  const int64_t g = blockIdx.x * int64_t(kWarpsPerBlock) + threadIdx.x / 32;
  if (g >= groups) return;
  const bf16_bits* xg = x + g * group;
  bf16_bits* yg = y + g * group;
  float sum = 0;
  for (int i = lane * W; i < group; i += 32 * W) {
    float v[W];
    if constexpr (W == 8) {
      load8(xg + i, v);
    } else {
      v[0] = load_f32(xg + i);
    }
#pragma unroll
    for (int j = 0; j < W; ++j) sum += v[j] * v[j];
  }
  for (int offset = 16; offset > 0; offset /= 2) sum += __shfl_xor_sync(0xffffffffu, sum, offset);
  const float inv = rsqrtf(sum / float(group) + eps);
  for (int i = lane * W; i < group; i += 32 * W) {
    float v[W], s[W];
    if constexpr (W == 8) {
      load8(xg + i, v);
      load8(w + i, s);
    } else {
      v[0] = load_f32(xg + i);
      s[0] = load_f32(w + i);
    }
#pragma unroll
    for (int j = 0; j < W; ++j) v[j] = s[j] * (v[j] * inv);
    if constexpr (W == 8) {
      store8(yg + i, v);
    } else {
      store_bf16(yg + i, v[0]);
    }
  }
}

}  // namespace

void launch_rms_norm(const bf16_bits* x, const bf16_bits* w, int64_t groups, int group, float eps,
                     bf16_bits* y) {
  if (groups == 0) return;
  unsigned blocks = unsigned((groups + kWarpsPerBlock - 1) / kWarpsPerBlock);
  if (vectorizable(group, x, w, y)) {
    rms_norm_kernel<8><<<blocks, kWarpsPerBlock * 32>>>(x, w, groups, group, eps, y);
  } else {
    rms_norm_kernel<1><<<blocks, kWarpsPerBlock * 32>>>(x, w, groups, group, eps, y);
  }
  check_launch("rms_norm");
}

}  // namespace halo::backend::cuda
