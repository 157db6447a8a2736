// Log-softmax + gather over logits rows, one block per row, one pass: each thread keeps a running
// maximum, the sum of exp(x - max) rescaled as the maximum grows, and the first index of the
// maximum; the block merges them. Nothing vocab-sized is written and each logit is read once.
// The lm-eval "bf16" log-prob needs the same statistics of the logits rounded to bf16, kept side
// by side (for bf16 logits the two coincide).
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
  const int32_t index = b_wins ? b.index : a.index;
  merge_into(a.max, a.sum, b.max, b.sum);
  merge_into(a.max_bf16, a.sum_bf16, b.max_bf16, b.sum_bf16);
  a.index = index;
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
  Running r{-INFINITY, 0.0f, INT32_MAX, -INFINITY, 0.0f};
  for (int64_t i = threadIdx.x; i < vocab; i += kThreads) {
    const float v = value(x, i);
    if (v > r.max) r.index = int32_t(i);
    push(r.max, r.sum, v);
    push(r.max_bf16, r.sum_bf16, rounded(v));
  }
  for (int off = 16; off > 0; off /= 2) {
    Running o{__shfl_xor_sync(0xffffffffu, r.max, off), __shfl_xor_sync(0xffffffffu, r.sum, off),
              __shfl_xor_sync(0xffffffffu, r.index, off), __shfl_xor_sync(0xffffffffu, r.max_bf16, off),
              __shfl_xor_sync(0xffffffffu, r.sum_bf16, off)};
    merge(r, o);
  }
  if (threadIdx.x % 32 == 0) warp_results[threadIdx.x / 32] = r;
  __syncthreads();
  if (threadIdx.x != 0) return;
  for (int w = 1; w < kThreads / 32; ++w) merge(r, warp_results[w]);
  RowScore result{0.0f, 0.0f, r.index};
  if (targets) {
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
