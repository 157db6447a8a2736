// y = x wᵀ for a handful of rows of x (decoding one or a few sequences): a matrix-vector product
// that only has to stream w once. One warp per output column (a row of w), 16-byte loads of w and
// x, fp32 accumulation, one warp reduction. cuBLASLt does this too, but its per-call host work is
// several times a kernel launch, and at batch 1 the decode step is bound by exactly that.
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_common.cuh"

namespace halo::backend::cuda {

namespace {

constexpr int kWarps = 8;

template <int M, bool F32>
__global__ void __launch_bounds__(kWarps * 32)
    gemv_kernel(const bf16_bits* x, const bf16_bits* w, int64_t n, int k, void* y) {
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int64_t col = blockIdx.x * int64_t(kWarps) + warp;
  if (col >= n) return;
  const bf16_bits* wr = w + col * k;
  float acc[M] = {};
#pragma unroll 4
  for (int i = lane * 8; i < k; i += 32 * 8) {
    float wv[8];
    load8(wr + i, wv);
#pragma unroll
    for (int m = 0; m < M; ++m) {
      float xv[8];
      load8(x + int64_t(m) * k + i, xv);
#pragma unroll
      for (int j = 0; j < 8; ++j) acc[m] += wv[j] * xv[j];
    }
  }
#pragma unroll
  for (int m = 0; m < M; ++m) {
    for (int off = 16; off > 0; off /= 2) acc[m] += __shfl_xor_sync(0xffffffffu, acc[m], off);
  }
  if (lane != 0) return;
#pragma unroll
  for (int m = 0; m < M; ++m) {
    if constexpr (F32) {
      static_cast<float*>(y)[int64_t(m) * n + col] = acc[m];
    } else {
      store_bf16(static_cast<bf16_bits*>(y) + int64_t(m) * n + col, acc[m]);
    }
  }
}

template <int M>
void launch_rows(const bf16_bits* x, const bf16_bits* w, int64_t n, int64_t k, void* y, bool y_f32) {
  const unsigned blocks = unsigned((n + kWarps - 1) / kWarps);
  if (y_f32) {
    gemv_kernel<M, true><<<blocks, kWarps * 32>>>(x, w, n, int(k), y);
  } else {
    gemv_kernel<M, false><<<blocks, kWarps * 32>>>(x, w, n, int(k), y);
  }
}

}  // namespace

bool gemv_applies(int64_t m, int64_t k, const void* x, const void* w) {
  return m >= 1 && m <= kGemvMaxRows && k % 8 == 0 && k <= (int64_t(1) << 30) && vectorizable(k, x, w);
}

void launch_gemv(const bf16_bits* x, int64_t m, const bf16_bits* w, int64_t n, int64_t k, void* y,
                 bool y_f32) {
  switch (m) {
    case 1: launch_rows<1>(x, w, n, k, y, y_f32); break;
    case 2: launch_rows<2>(x, w, n, k, y, y_f32); break;
    case 3: launch_rows<3>(x, w, n, k, y, y_f32); break;
    default: launch_rows<4>(x, w, n, k, y, y_f32); break;
  }
  check_launch("linear");
}

}  // namespace halo::backend::cuda
