// Lightning attention on the GPU (DESIGN.md §3), state S per head in fp32, q/k/v read as bf16 and
// widened to fp32. Per head h with λ = exp(-slope_h): S_t = λ S_{t-1} + k_tᵀ v_t, o_t = scale q_t S_t.
//
// Both kernels split a head's state by columns: output column j and state column j depend only on
// v's column j, so a block owns a slab of 32 state columns and never talks to other blocks.
//  - recurrent (decoding): a thread keeps its part of one state column in registers across the
//    tokens of the call; the q·S dot products are summed over the 8 row groups in shared memory.
//  - chunked (prefill): chunks of C tokens, o = λ^{t+1} q_t S + Σ_{s≤t} λ^{t-s} (q_t·k_s) v_s inside
//    a chunk, then S ← λ^C S + Σ_s λ^{C-1-s} k_sᵀ v_s — the CPU reference's chunked form.
#include <algorithm>

#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_common.cuh"

namespace halo::backend::cuda {

namespace {

constexpr int kSlab = 32;       // state columns per block
constexpr int kRowGroups = 8;   // recurrent kernel: threads per column
constexpr int kMaxDim = 128;
constexpr int kChunk = 64;
constexpr int kChunkThreads = 256;

__global__ void __launch_bounds__(kSlab* kRowGroups)
    lightning_recurrent_kernel(LightningArgs a) {
  constexpr int kRowsPer = kMaxDim / kRowGroups;
  __shared__ float qs[kMaxDim], ks[kMaxDim];
  __shared__ float partial[kRowGroups][kSlab];
  const int h = blockIdx.x;
  const int kvh = h / (a.heads / a.kv_heads);
  const int d = a.head_dim;
  const int col = blockIdx.y * kSlab + threadIdx.x;
  const int rg = threadIdx.y;
  const float decay = expf(-a.slopes[h]);
  float* S = a.state + int64_t(h) * d * d;
  float s[kRowsPer];
#pragma unroll
  for (int r = 0; r < kRowsPer; ++r) {
    const int i = rg + r * kRowGroups;
    s[r] = (i < d && col < d) ? S[int64_t(i) * d + col] : 0.0f;
  }
  const int tid = threadIdx.y * kSlab + threadIdx.x;
  for (int64_t t = 0; t < a.rows; ++t) {
    __syncthreads();
    for (int i = tid; i < d; i += kSlab * kRowGroups) {
      qs[i] = load_f32(a.q + t * int64_t(a.heads) * d + int64_t(h) * d + i);
      ks[i] = load_f32(a.k + t * int64_t(a.kv_heads) * d + int64_t(kvh) * d + i);
    }
    __syncthreads();
    const float vj = col < d ? load_f32(a.v + t * int64_t(a.kv_heads) * d + int64_t(kvh) * d + col) : 0.0f;
    float dot = 0;
#pragma unroll
    for (int r = 0; r < kRowsPer; ++r) {
      const int i = rg + r * kRowGroups;
      if (i < d) {
        s[r] = decay * s[r] + ks[i] * vj;
        dot += qs[i] * s[r];
      }
    }
    partial[rg][threadIdx.x] = dot;
    __syncthreads();
    if (rg == 0 && col < d) {
      float total = 0;
#pragma unroll
      for (int r = 0; r < kRowGroups; ++r) total += partial[r][threadIdx.x];
      store_bf16(a.out + t * int64_t(a.heads) * d + int64_t(h) * d + col, a.scale * total);
    }
  }
#pragma unroll
  for (int r = 0; r < kRowsPer; ++r) {
    const int i = rg + r * kRowGroups;
    if (i < d && col < d) S[int64_t(i) * d + col] = s[r];
  }
}

// Shared memory of the chunked kernel, fp32: q and k of the chunk (rows padded by one word against
// bank conflicts), v's slab, the state slab and the chunk's decayed score matrix.
struct ChunkLayout {
  int d;
  __host__ __device__ int qk_stride() const { return d + 1; }
  __host__ __device__ size_t floats() const {
    return size_t(2) * kChunk * qk_stride() + kChunk * kSlab + size_t(d) * kSlab + kChunk * kChunk +
           (kChunk + 1);
  }
};

__global__ void __launch_bounds__(kChunkThreads) lightning_chunked_kernel(LightningArgs a) {
  extern __shared__ float smem[];
  const int d = a.head_dim;
  const ChunkLayout layout{d};
  const int qs_stride = layout.qk_stride();
  float* qs = smem;
  float* ks = qs + kChunk * qs_stride;
  float* vs = ks + kChunk * qs_stride;        // [kChunk][kSlab]
  float* S = vs + kChunk * kSlab;             // [d][kSlab]
  float* scores = S + d * kSlab;              // [kChunk][kChunk]
  float* powers = scores + kChunk * kChunk;   // λ^0 .. λ^kChunk

  const int h = blockIdx.x;
  const int kvh = h / (a.heads / a.kv_heads);
  const int col0 = blockIdx.y * kSlab;
  const int tid = threadIdx.x;
  const float log_decay = -a.slopes[h];
  float* state = a.state + int64_t(h) * d * d;
  const int64_t q_stride = int64_t(a.heads) * d, kv_stride = int64_t(a.kv_heads) * d;

  for (int i = tid; i <= kChunk; i += kChunkThreads) powers[i] = expf(log_decay * float(i));
  for (int e = tid; e < d * kSlab; e += kChunkThreads) {
    const int i = e / kSlab, c = col0 + e % kSlab;
    S[e] = c < d ? state[int64_t(i) * d + c] : 0.0f;
  }

  for (int64_t start = 0; start < a.rows; start += kChunk) {
    const int n = int(min(int64_t(kChunk), a.rows - start));
    __syncthreads();  // previous chunk's state update is complete
    for (int e = tid; e < n * d; e += kChunkThreads) {
      const int r = e / d, i = e % d;
      qs[r * qs_stride + i] = load_f32(a.q + (start + r) * q_stride + int64_t(h) * d + i);
      ks[r * qs_stride + i] = load_f32(a.k + (start + r) * kv_stride + int64_t(kvh) * d + i);
    }
    for (int e = tid; e < n * kSlab; e += kChunkThreads) {
      const int r = e / kSlab, c = col0 + e % kSlab;
      vs[e] = c < d ? load_f32(a.v + (start + r) * kv_stride + int64_t(kvh) * d + c) : 0.0f;
    }
    __syncthreads();
    // Decayed causal scores λ^{t-s} (q_t·k_s), s ≤ t.
    for (int e = tid; e < n * n; e += kChunkThreads) {
      const int t = e / n, s = e % n;
      float dot = 0;
      if (s <= t) {
        const float* qt = qs + t * qs_stride;
        const float* kr = ks + s * qs_stride;
        for (int i = 0; i < d; ++i) dot += qt[i] * kr[i];
        dot *= powers[t - s];
      }
      scores[t * kChunk + s] = dot;
    }
    __syncthreads();
    // Outputs of the slab: inter-chunk part from the state, intra-chunk part from the scores.
    for (int e = tid; e < n * kSlab; e += kChunkThreads) {
      const int t = e / kSlab, c = e % kSlab;
      if (col0 + c >= d) continue;
      const float* qt = qs + t * qs_stride;
      float inter = 0;
      for (int i = 0; i < d; ++i) inter += qt[i] * S[i * kSlab + c];
      float intra = 0;
      for (int s = 0; s <= t; ++s) intra += scores[t * kChunk + s] * vs[s * kSlab + c];
      store_bf16(a.out + (start + t) * q_stride + int64_t(h) * d + col0 + c,
                 a.scale * (powers[t + 1] * inter + intra));
    }
    __syncthreads();  // every output has read the old state
    for (int e = tid; e < d * kSlab; e += kChunkThreads) {
      const int i = e / kSlab, c = e % kSlab;
      float acc = powers[n] * S[e];
      for (int s = 0; s < n; ++s) acc += powers[n - 1 - s] * ks[s * qs_stride + i] * vs[s * kSlab + c];
      S[e] = acc;
    }
  }
  __syncthreads();
  for (int e = tid; e < d * kSlab; e += kChunkThreads) {
    const int i = e / kSlab, c = col0 + e % kSlab;
    if (c < d) state[int64_t(i) * d + c] = S[e];
  }
}

unsigned slabs(int d) { return unsigned((d + kSlab - 1) / kSlab); }

}  // namespace

void launch_lightning_recurrent(const LightningArgs& a) {
  if (a.rows == 0) return;
  lightning_recurrent_kernel<<<dim3(unsigned(a.heads), slabs(a.head_dim)), dim3(kSlab, kRowGroups)>>>(a);
  check_launch("lightning (recurrent)");
}

void launch_lightning_chunked(const LightningArgs& a) {
  if (a.rows == 0) return;
  const size_t bytes = ChunkLayout{a.head_dim}.floats() * sizeof(float);
  check(cudaFuncSetAttribute(lightning_chunked_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                             int(bytes)),
        "lightning (chunked)");
  lightning_chunked_kernel<<<dim3(unsigned(a.heads), slabs(a.head_dim)), kChunkThreads, bytes>>>(a);
  check_launch("lightning (chunked)");
}

}  // namespace halo::backend::cuda
