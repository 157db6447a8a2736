// Log-softmax + gather over logits rows, one block per row, one pass: each thread keeps a running
// maximum, the sum of exp(x - max) rescaled as the maximum grows, and the first index of the
// maximum; the block merges them. Nothing vocab-sized is written and each logit is read once.
// The lm-eval "bf16" log-prob and the bf16 argmax (generate() on a bf16 model) need the same
// statistics of the logits rounded to bf16, kept side by side (for bf16 logits the two coincide).
// A row holding a NaN or an infinity gets NaN log-probs and argmax kNonFiniteRow (-1).
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_common.cuh"

namespace halo::backend::cuda {

namespace {

constexpr int kThreads = 512;

struct Running {
  float max;
  float sum;  // Σ exp(x - max)
  int32_t index;
  float max_bf16;
  float sum_bf16;
  int32_t index_bf16;
  int32_t finite;  // 1 while no NaN or infinity was seen
};

__device__ __forceinline__ void push(float& max, float& sum, float v) {
  if (v > max) {
    sum = sum * __expf(max - v) + 1.0f;
    max = v;
  } else {
    sum += __expf(v - max);
  }
}

__device__ __forceinline__ void merge_into(float& max, float& sum, float other_max, float other_sum) {
  if (other_max == -INFINITY) return;
  if (other_max > max) {
    sum = sum * __expf(max - other_max) + other_sum;
    max = other_max;
  } else {
    sum += other_sum * __expf(other_max - max);
  }
}

__device__ __forceinline__ void merge(Running& a, const Running& b) {
  const bool b_wins = b.max > a.max || (b.max == a.max && b.index < a.index);
  const bool b_wins_bf16 = b.max_bf16 > a.max_bf16 || (b.max_bf16 == a.max_bf16 && b.index_bf16 < a.index_bf16);
  const int32_t index = b_wins ? b.index : a.index;
  const int32_t index_bf16 = b_wins_bf16 ? b.index_bf16 : a.index_bf16;
  merge_into(a.max, a.sum, b.max, b.sum);
  merge_into(a.max_bf16, a.sum_bf16, b.max_bf16, b.sum_bf16);
  a.index = index;
  a.index_bf16 = index_bf16;
  a.finite = a.finite & b.finite;
}

__device__ __forceinline__ float value(const bf16_bits* x, int64_t i) { return load_f32(x + i); }
__device__ __forceinline__ float value(const float* x, int64_t i) { return x[i]; }
__device__ __forceinline__ float rounded(float v) { return __bfloat162float(__float2bfloat16_rn(v)); }

template <typename T>
__global__ void __launch_bounds__(kThreads)
    score_rows_kernel(const T* logits, int64_t vocab, const int32_t* targets, RowScore* out) {
  __shared__ Running warp_results[kThreads / 32];
  const int64_t row = blockIdx.x;
  const T* x = logits + row * vocab;
  Running r{-INFINITY, 0.0f, INT32_MAX, -INFINITY, 0.0f, INT32_MAX, 1};
  for (int64_t i = threadIdx.x; i < vocab; i += kThreads) {
    const float v = value(x, i);
    const float v_bf16 = rounded(v);
    if (v > r.max) r.index = int32_t(i);
    if (v_bf16 > r.max_bf16) r.index_bf16 = int32_t(i);
    r.finite &= int32_t(isfinite(v));
    push(r.max, r.sum, v);
    push(r.max_bf16, r.sum_bf16, v_bf16);
  }
  for (int off = 16; off > 0; off /= 2) {
    Running o{__shfl_xor_sync(0xffffffffu, r.max, off),        __shfl_xor_sync(0xffffffffu, r.sum, off),
              __shfl_xor_sync(0xffffffffu, r.index, off),      __shfl_xor_sync(0xffffffffu, r.max_bf16, off),
              __shfl_xor_sync(0xffffffffu, r.sum_bf16, off),   __shfl_xor_sync(0xffffffffu, r.index_bf16, off),
              __shfl_xor_sync(0xffffffffu, r.finite, off)};
    merge(r, o);
  }
  if (threadIdx.x % 32 == 0) warp_results[threadIdx.x / 32] = r;
  __syncthreads();
  if (threadIdx.x != 0) return;
  for (int w = 1; w < kThreads / 32; ++w) merge(r, warp_results[w]);
  RowScore result{0.0f, 0.0f, r.index, r.index_bf16};
  if (!r.finite) {
    result = {NAN, NAN, -1, -1};
  } else if (targets) {
    const float target = value(x, targets[row]);
    result.logprob = target - r.max - logf(r.sum);
    result.logprob_bf16 = rounded(rounded(target) - r.max_bf16 - logf(r.sum_bf16));
  }
  out[row] = result;
}

}  // namespace

void launch_score_rows(const void* logits, bool logits_f32, int64_t rows, int64_t vocab,
                       const int32_t* targets, RowScore* out) {
  if (rows == 0) return;
  if (logits_f32) {
    score_rows_kernel<<<unsigned(rows), kThreads>>>(static_cast<const float*>(logits), vocab, targets, out);
  } else {
    score_rows_kernel<<<unsigned(rows), kThreads>>>(static_cast<const bf16_bits*>(logits), vocab, targets, out);
  }
  check_launch("score_targets");
}

}  // namespace halo::backend::cuda
