// Log-softmax + gather over bf16 logits rows, one block per row, one pass: each thread keeps a
// running maximum, the sum of exp(x - max) rescaled as the maximum grows, and the first index of
// the maximum; the block merges them. Nothing vocab-sized is written, and the row's logits are read
// once. With bf16 logits the fp32 and "bf16" log-probs differ only by the final rounding.
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_common.cuh"

namespace halo::backend::cuda {

namespace {

constexpr int kThreads = 512;

struct Running {
  float max;
  float sum;  // Σ exp(x - max)
  int32_t index;
};

__device__ __forceinline__ Running merge(Running a, Running b) {
  if (b.max > a.max || (b.max == a.max && b.index < a.index)) {
    Running t = a;
    a = b;
    b = t;
  }
  // a now holds the larger maximum (first index on ties).
  if (b.max != -INFINITY) a.sum += b.sum * __expf(b.max - a.max);
  return a;
}

__global__ void __launch_bounds__(kThreads)
    score_rows_kernel(const bf16_bits* logits, int64_t vocab, const int32_t* targets, RowScore* out) {
  __shared__ Running warp_results[kThreads / 32];
  const int64_t row = blockIdx.x;
  const bf16_bits* x = logits + row * vocab;
  Running r{-INFINITY, 0.0f, INT32_MAX};
  for (int64_t i = threadIdx.x; i < vocab; i += kThreads) {
    const float v = load_f32(x + i);
    if (v > r.max) {
      r.sum = r.sum * __expf(r.max - v) + 1.0f;
      r.max = v;
      r.index = int32_t(i);
    } else {
      r.sum += __expf(v - r.max);
    }
  }
  for (int off = 16; off > 0; off /= 2) {
    Running o{__shfl_xor_sync(0xffffffffu, r.max, off), __shfl_xor_sync(0xffffffffu, r.sum, off),
              __shfl_xor_sync(0xffffffffu, r.index, off)};
    r = merge(r, o);
  }
  if (threadIdx.x % 32 == 0) warp_results[threadIdx.x / 32] = r;
  __syncthreads();
  if (threadIdx.x != 0) return;
  for (int w = 1; w < kThreads / 32; ++w) r = merge(r, warp_results[w]);
  RowScore result{0.0f, 0.0f, r.index};
  if (targets) {
    const float lp = load_f32(x + targets[row]) - r.max - logf(r.sum);
    result.logprob = lp;
    result.logprob_bf16 = __bfloat162float(__float2bfloat16_rn(lp));
  }
  out[row] = result;
}

}  // namespace

void launch_score_rows(const bf16_bits* logits, int64_t rows, int64_t vocab, const int32_t* targets,
                       RowScore* out) {
  if (rows == 0) return;
  score_rows_kernel<<<unsigned(rows), kThreads>>>(logits, vocab, targets, out);
  check_launch("score_targets");
}

}  // namespace halo::backend::cuda
