// KL(P‖Q) of pairs of fp32 logits rows, one block per row, two passes over the row: the first
// finds both log-normalisers (a running maximum and the sum of exp(x − max), rescaled as the
// maximum grows), the second sums P(v)(log P(v) − log Q(v)). Nothing vocab-sized is written.
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_common.cuh"
#include "backend/cuda/cuda_kernels.h"

namespace halo::backend::cuda {

namespace {

constexpr int kThreads = 512;

struct Normaliser {
  float max;
  float sum;  // Σ exp(x − max)
};

__device__ __forceinline__ void push(Normaliser& n, float v) {
  if (v > n.max) {
    n.sum = n.sum * __expf(n.max - v) + 1.0f;
    n.max = v;
  } else {
    n.sum += __expf(v - n.max);
  }
}

__device__ __forceinline__ void merge(Normaliser& a, Normaliser b) {
  if (b.max == -INFINITY) return;
  if (b.max > a.max) {
    a.sum = a.sum * __expf(a.max - b.max) + b.sum;
    a.max = b.max;
  } else {
    a.sum += b.sum * __expf(b.max - a.max);
  }
}

__device__ __forceinline__ Normaliser shuffle(Normaliser n, int offset) {
  return {__shfl_xor_sync(0xffffffffu, n.max, offset), __shfl_xor_sync(0xffffffffu, n.sum, offset)};
}

__global__ void __launch_bounds__(kThreads) kl_rows_kernel(const float* p_logits, const float* q_logits, int64_t vocab,
                                                           double* out) {
  __shared__ Normaliser warp_p[kThreads / 32], warp_q[kThreads / 32];
  __shared__ float log_z[2];
  __shared__ double warp_kl[kThreads / 32];
  const float* p = p_logits + int64_t(blockIdx.x) * vocab;
  const float* q = q_logits + int64_t(blockIdx.x) * vocab;
  Normaliser np{-INFINITY, 0.0f}, nq{-INFINITY, 0.0f};
  for (int64_t i = threadIdx.x; i < vocab; i += kThreads) {
    push(np, p[i]);
    push(nq, q[i]);
  }
  for (int off = 16; off > 0; off /= 2) {
    merge(np, shuffle(np, off));
    merge(nq, shuffle(nq, off));
  }
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  if (lane == 0) {
    warp_p[warp] = np;
    warp_q[warp] = nq;
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    for (int w = 1; w < kThreads / 32; ++w) {
      merge(warp_p[0], warp_p[w]);
      merge(warp_q[0], warp_q[w]);
    }
    log_z[0] = warp_p[0].max + logf(warp_p[0].sum);
    log_z[1] = warp_q[0].max + logf(warp_q[0].sum);
  }
  __syncthreads();
  const float zp = log_z[0], zq = log_z[1];
  double kl = 0.0;
  for (int64_t i = threadIdx.x; i < vocab; i += kThreads) {
    const float log_p = p[i] - zp;
    kl += double(__expf(log_p) * (log_p - (q[i] - zq)));
  }
  for (int off = 16; off > 0; off /= 2) kl += __shfl_xor_sync(0xffffffffu, kl, off);
  if (lane == 0) warp_kl[warp] = kl;
  __syncthreads();
  if (threadIdx.x == 0) {
    double total = 0.0;
    for (int w = 0; w < kThreads / 32; ++w) total += warp_kl[w];
    out[blockIdx.x] = total;
  }
}

}  // namespace

void launch_kl_rows(const float* p_logits, const float* q_logits, int64_t rows, int64_t vocab, double* out) {
  if (rows == 0) return;
  kl_rows_kernel<<<unsigned(rows), kThreads>>>(p_logits, q_logits, vocab, out);
  check_launch("kl_divergence");
}

}  // namespace halo::backend::cuda
