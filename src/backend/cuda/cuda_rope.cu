// NeoX (rotate-half) RoPE in place, alone or after Qwen3's per-head q/k RMSNorm in one launch
// (angles and rotation: rope_sincos / rope_pair in cuda_common.cuh).
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_common.cuh"

namespace halo::backend::cuda {

namespace {

// One block per row; thread i handles frequency i of every head, so each angle is computed once.
__global__ void rope_kernel(bf16_bits* x, int64_t cols, int head_dim, const int64_t* positions,
                            int64_t first_pos, const float* inv_freq) {
  const int64_t row = blockIdx.x;
  const int half = head_dim / 2;
  const int64_t pos = positions ? positions[row] : first_pos + row;
  const int heads = int(cols / head_dim);
  bf16_bits* r = x + row * cols;
  for (int i = threadIdx.x; i < half; i += blockDim.x) {
    float s, c;
    rope_sincos(inv_freq[i], pos, &s, &c);
    for (int h = 0; h < heads; ++h) rope_pair(r + h * head_dim, i, half, s, c);
  }
}

constexpr int kQkWarps = 8;

// One block per row: the row's sin/cos go to shared memory once, then each warp takes whole heads
// (q's, then k's): the norm (warp_rms_norm, the rms_norm kernel's arithmetic) and then the rotation,
// which pairs elements other lanes normed — hence the __syncwarp between them.
template <int W>
__global__ void qk_norm_rope_kernel(QkArgs a) {
  extern __shared__ float table[];  // sin[half], then cos[half]
  const int64_t row = blockIdx.x;
  const int half = a.head_dim / 2;
  if (a.inv_freq != nullptr) {
    const int64_t pos = a.positions ? a.positions[row] : a.first_pos + row;
    for (int i = threadIdx.x; i < half; i += blockDim.x) rope_sincos(a.inv_freq[i], pos, &table[i], &table[half + i]);
    __syncthreads();
  }
  const int q_heads = int(a.q_cols / a.head_dim), heads = q_heads + int(a.k_cols / a.head_dim);
  const int lane = int(threadIdx.x % 32);
  for (int h = int(threadIdx.x / 32); h < heads; h += kQkWarps) {
    const bool is_q = h < q_heads;
    bf16_bits* head = is_q ? a.q + row * a.q_cols + int64_t(h) * a.head_dim
                           : a.k + row * a.k_cols + int64_t(h - q_heads) * a.head_dim;
    if (a.q_norm != nullptr) {
      warp_rms_norm<W, false>(head, nullptr, is_q ? a.q_norm : a.k_norm, a.head_dim, a.eps, head, lane);
      __syncwarp();
    }
    if (a.inv_freq != nullptr) {
      for (int i = lane; i < half; i += 32) rope_pair(head, i, half, table[i], table[half + i]);
    }
  }
}

}  // namespace

void launch_rope(bf16_bits* x, int64_t rows, int64_t cols, int head_dim, const int64_t* positions,
                 int64_t first_pos, const float* inv_freq) {
  if (rows == 0) return;
  rope_kernel<<<unsigned(rows), 64>>>(x, cols, head_dim, positions, first_pos, inv_freq);
  check_launch("rope");
}

void launch_qk_norm_rope(const QkArgs& a) {
  if (a.rows == 0) return;
  const size_t shared = a.inv_freq ? size_t(a.head_dim) * sizeof(float) : 0;
  // The 16-byte path needs every head (and so both tensors and weights) 16-byte aligned.
  const bool wide = vectorizable(a.head_dim, a.q, a.k, a.q_norm) && vectorizable(a.head_dim, a.k_norm) &&
                    a.q_cols % 8 == 0 && a.k_cols % 8 == 0;
  if (wide) {
    qk_norm_rope_kernel<8><<<unsigned(a.rows), kQkWarps * 32, shared>>>(a);
  } else {
    qk_norm_rope_kernel<1><<<unsigned(a.rows), kQkWarps * 32, shared>>>(a);
  }
  check_launch("qk_norm_rope");
}

}  // namespace halo::backend::cuda
