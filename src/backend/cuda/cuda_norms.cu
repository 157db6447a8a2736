// RMSNorm over groups of columns: one warp per group (a row of the hidden state, or one head for
// Qwen3's q/k norms). Sum of squares in fp32; x is read twice (the second read hits L1/L2), which
// keeps registers free and lets y alias x: each lane rewrites only elements it has just read.
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_common.cuh"

namespace halo::backend::cuda {

namespace {

constexpr int kWarpsPerBlock = 8;

__global__ void rms_norm_kernel(const bf16_bits* x, const bf16_bits* w, int64_t groups, int group,
                                float eps, bf16_bits* y) {
  const int lane = threadIdx.x % 32;
  const int64_t g = blockIdx.x * int64_t(kWarpsPerBlock) + threadIdx.x / 32;
  if (g >= groups) return;
  const bf16_bits* xg = x + g * group;
  bf16_bits* yg = y + g * group;
  float sum = 0;
  const bool pairs = group % 2 == 0;
  if (pairs) {
    const auto* x2 = reinterpret_cast<const __nv_bfloat162*>(xg);
    for (int i = lane; i < group / 2; i += 32) {
      float2 v = __bfloat1622float2(x2[i]);
      sum += v.x * v.x + v.y * v.y;
    }
  } else {
    for (int i = lane; i < group; i += 32) {
      float v = load_f32(xg + i);
      sum += v * v;
    }
  }
  for (int offset = 16; offset > 0; offset /= 2) sum += __shfl_xor_sync(0xffffffffu, sum, offset);
  const float inv = rsqrtf(sum / float(group) + eps);
  if (pairs) {
    const auto* x2 = reinterpret_cast<const __nv_bfloat162*>(xg);
    const auto* w2 = reinterpret_cast<const __nv_bfloat162*>(w);
    auto* y2 = reinterpret_cast<__nv_bfloat162*>(yg);
    for (int i = lane; i < group / 2; i += 32) {
      float2 v = __bfloat1622float2(x2[i]);
      float2 s = __bfloat1622float2(w2[i]);
      y2[i] = __floats2bfloat162_rn(s.x * (v.x * inv), s.y * (v.y * inv));
    }
  } else {
    for (int i = lane; i < group; i += 32) store_bf16(yg + i, load_f32(w + i) * (load_f32(xg + i) * inv));
  }
}

}  // namespace

void launch_rms_norm(const bf16_bits* x, const bf16_bits* w, int64_t groups, int group, float eps,
                     bf16_bits* y) {
  if (groups == 0) return;
  unsigned blocks = unsigned((groups + kWarpsPerBlock - 1) / kWarpsPerBlock);
  rms_norm_kernel<<<blocks, kWarpsPerBlock * 32>>>(x, w, groups, group, eps, y);
  check_launch("rms_norm");
}

}  // namespace halo::backend::cuda
