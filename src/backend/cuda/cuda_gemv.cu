// y = x wᵀ for a handful of rows of x (decoding one or a few sequences): a matrix-vector product
// that only has to stream w once. One warp per output column (a row of w), 16-byte loads of w and
// x, fp32 accumulation, one warp reduction. Several matrices that read the same x (q/k/v, gate/up)
// share one launch: the blocks are split between them. cuBLASLt does this too, but its per-call host work is
// several times a kernel launch, and at batch 1 the decode step is bound by exactly that.
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_common.cuh"

namespace halo::backend::cuda {

namespace {

constexpr int kWarps = 8;

// The matrices of one launch: part p's output columns are blocks [first_block[p], first_block[p+1]).
struct Parts {
  int count = 0;
  const bf16_bits* w[kGemvMaxParts] = {};
  void* y[kGemvMaxParts] = {};
  int64_t n[kGemvMaxParts] = {};
  int64_t first_block[kGemvMaxParts + 1] = {};
};

template <int M, bool F32>
__global__ void __launch_bounds__(kWarps * 32)
    gemv_kernel(const bf16_bits* x, const __grid_constant__ Parts parts, int k) {
  int p = 0;
  while (p + 1 < parts.count && blockIdx.x >= parts.first_block[p + 1]) ++p;
  const int64_t n = parts.n[p];
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int64_t col = (blockIdx.x - parts.first_block[p]) * int64_t(kWarps) + warp;
  if (col >= n) return;
  const bf16_bits* wr = parts.w[p] + col * k;
  void* y = parts.y[p];
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
void launch_rows(const bf16_bits* x, const Parts& parts, int64_t k, bool y_f32) {
  const unsigned blocks = unsigned(parts.first_block[parts.count]);
  if (y_f32) {
    gemv_kernel<M, true><<<blocks, kWarps * 32>>>(x, parts, int(k));
  } else {
    gemv_kernel<M, false><<<blocks, kWarps * 32>>>(x, parts, int(k));
  }
}

}  // namespace

bool gemv_applies(int64_t m, int64_t k, const void* x, const void* w) {
  return m >= 1 && m <= kGemvMaxRows && k % 8 == 0 && k <= (int64_t(1) << 30) && vectorizable(k, x, w);
}

void launch_gemv(const bf16_bits* x, int64_t m, const bf16_bits* w, int64_t n, int64_t k, void* y,
                 bool y_f32) {
  const GemvPart part{w, y, n};
  launch_gemv_many(x, m, &part, 1, k, y_f32);
}

void launch_gemv_many(const bf16_bits* x, int64_t m, const GemvPart* parts_in, int count, int64_t k,
                      bool y_f32) {
  Parts parts;
  parts.count = count;
  for (int p = 0; p < parts.count; ++p) {
    parts.w[p] = parts_in[p].w;
    parts.y[p] = parts_in[p].y;
    parts.n[p] = parts_in[p].n;
    parts.first_block[p + 1] = parts.first_block[p] + (parts.n[p] + kWarps - 1) / kWarps;
  }
  switch (m) {
    case 1: launch_rows<1>(x, parts, k, y_f32); break;
    case 2: launch_rows<2>(x, parts, k, y_f32); break;
    case 3: launch_rows<3>(x, parts, k, y_f32); break;
    default: launch_rows<4>(x, parts, k, y_f32); break;
  }
  check_launch("linear");
}

}  // namespace halo::backend::cuda
