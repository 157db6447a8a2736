// RMSNorm over groups of columns, one warp per group (warp_rms_norm, cuda_common.cuh): a row of the
// hidden state, or one head for Qwen3's q/k norms; plain, or fused with the residual add before it.
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_common.cuh"

namespace halo::backend::cuda {

namespace {

constexpr int kWarpsPerBlock = 8;

template <int W, bool kAdd>
__global__ void rms_norm_kernel(bf16_bits* x, const bf16_bits* delta, const bf16_bits* w, int64_t groups,
                                int group, float eps, bf16_bits* y) {
  const int64_t g = blockIdx.x * int64_t(kWarpsPerBlock) + threadIdx.x / 32;
  if (g >= groups) return;
  warp_rms_norm<W, kAdd>(x + g * group, kAdd ? delta + g * group : nullptr, w, group, eps, y + g * group,
                         int(threadIdx.x % 32));
}

template <bool kAdd>
void launch_norm(bf16_bits* x, const bf16_bits* delta, const bf16_bits* w, int64_t groups, int group,
                 float eps, bf16_bits* y) {
  if (groups == 0) return;
  unsigned blocks = unsigned((groups + kWarpsPerBlock - 1) / kWarpsPerBlock);
  if (vectorizable(group, x, w, y) && (!kAdd || vectorizable(group, delta))) {
    rms_norm_kernel<8, kAdd><<<blocks, kWarpsPerBlock * 32>>>(x, delta, w, groups, group, eps, y);
  } else {
    rms_norm_kernel<1, kAdd><<<blocks, kWarpsPerBlock * 32>>>(x, delta, w, groups, group, eps, y);
  }
  check_launch(kAdd ? "add_rms_norm" : "rms_norm");
}

}  // namespace

void launch_rms_norm(const bf16_bits* x, const bf16_bits* w, int64_t groups, int group, float eps,
                     bf16_bits* y) {
  // The plain norm never writes x.
  launch_norm<false>(const_cast<bf16_bits*>(x), nullptr, w, groups, group, eps, y);
}

void launch_add_rms_norm(bf16_bits* x, const bf16_bits* delta, const bf16_bits* w, int64_t rows, int cols,
                         float eps, bf16_bits* y) {
  launch_norm<true>(x, delta, w, rows, cols, eps, y);
}

}  // namespace halo::backend::cuda
