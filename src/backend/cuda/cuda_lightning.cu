// Lightning attention on the GPU (docs/design.md §3), state S per head in fp32, q/k/v read as bf16 and
// widened to fp32. Per head h with λ = exp(-slope_h): S_t = λ S_{t-1} + k_tᵀ v_t, o_t = scale q_t S_t.
//
// Both forms split a head's state by columns: output column j and state column j depend only on
// v's column j, so work goes by slabs of 32 state columns that never talk to each other (the
// chunked form's first kernel walks a chunk's slabs in one block, so the chunk's q·k scores, which
// every slab needs, are computed once).
//  - recurrent (decoding): a thread keeps its part of one state column in registers across the
//    tokens of the call; the q·S dot products are summed over the 8 row groups in shared memory.
//  - chunked (prefill): chunks of C tokens, o = λ^{t+1} q_t S + Σ_{s≤t} λ^{t-s} (q_t·k_s) v_s inside
//    a chunk, then S ← λ^C S + Σ_s λ^{C-1-s} k_sᵀ v_s — the CPU reference's chunked form, with the
//    chunks' local terms computed in parallel and only the state carried from chunk to chunk.
#include <algorithm>
#include <cstdint>

#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_common.cuh"

namespace halo::backend::cuda {

namespace {

constexpr int kSlab = 32;       // state columns per block
constexpr int kRowGroups = 8;   // recurrent kernel: threads per column
constexpr int kMaxDim = 128;
constexpr int kChunk = 64;
constexpr int kChunkThreads = 256;

// The recurrence over `a.rows` tokens of one sequence (a's pointers), for head blockIdx.x and state
// slab blockIdx.y.
__device__ __forceinline__ void recurrent_steps(const LightningArgs& a) {
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

__global__ void __launch_bounds__(kSlab* kRowGroups) lightning_recurrent_kernel(LightningArgs a) {
  recurrent_steps(a);
}

// One launch for a packed batch: sequence blockIdx.z takes its pointers and row count from the table.
__global__ void __launch_bounds__(kSlab* kRowGroups)
    lightning_recurrent_segments_kernel(LightningArgs a, const LightningSequence* seqs) {
  const LightningSequence seq = seqs[blockIdx.z];
  a.q = seq.q;
  a.k = seq.k;
  a.v = seq.v;
  a.state = seq.state;
  a.out = seq.out;
  a.rows = seq.rows;
  recurrent_steps(a);
}

// The chunked form runs in three launches, each parallel over (head, chunk[, column slab]), so a
// 4096-token prefill keeps the GPU busy instead of walking 64 chunks in sequence per head:
//  1. local: per chunk, the intra-chunk output Σ_{s≤t} λ^{t-s} (q_t·k_s) v_s (fp32, to scratch)
//     and the chunk's state increment U = Σ_s λ^{n-1-s} k_sᵀ v_s (to scratch);
//  2. scan: per sequence and state element, S walks the sequence's chunks: U_c is replaced by the
//     state before chunk c, S ← λ^{n_c} S + U_c; the final S is the sequence's new state;
//  3. output: o_t = scale · (intra_t + λ^{t+1} q_t S_before).
// The chunks come from a table, so one group of launches serves many sequences of a packed batch
// (scoring packs hundreds of short ones); a group holds at most kLightningGroupChunks chunks, which
// bounds the scratch, and a long sequence continues in the next group from the state this one left.
constexpr int kMaxChunks = kLightningGroupChunks;
static_assert(kChunk == kLightningChunkRows, "cuda_kernels.h states the chunk length");

struct ChunkScratch {
  float* intra;  // [kMaxChunks * kChunk, heads * d]
  float* u;      // [heads, kMaxChunks, d, d]
};

// Shared memory of the local kernel (fp32): q and k of the chunk (rows padded by one word against
// bank conflicts), v's slab, the decayed score matrix and the powers of λ.
__host__ __device__ inline size_t local_smem_floats(int d) {
  return size_t(2) * kChunk * (d + 1) + kChunk * kSlab + kChunk * kChunk + (kChunk + 1);
}

__global__ void __launch_bounds__(kChunkThreads)
    lightning_local_kernel(LightningArgs a, const LightningChunk* chunks, ChunkScratch scratch) {
  extern __shared__ float smem[];
  const int d = a.head_dim;
  const int qs_stride = d + 1;
  float* qs = smem;
  float* ks = qs + kChunk * qs_stride;
  float* vs = ks + kChunk * qs_stride;        // [kChunk][kSlab]
  float* scores = vs + kChunk * kSlab;        // [kChunk][kChunk]
  float* powers = scores + kChunk * kChunk;   // λ^0 .. λ^kChunk

  const int h = blockIdx.x, chunk = blockIdx.y;
  const LightningChunk c = chunks[chunk];
  const int kvh = h / (a.heads / a.kv_heads);
  const int tid = threadIdx.x;
  const int n = c.rows;
  const int64_t q_stride = int64_t(a.heads) * d, kv_stride = int64_t(a.kv_heads) * d;

  for (int i = tid; i <= kChunk; i += kChunkThreads) powers[i] = expf(-a.slopes[h] * float(i));
  for (int e = tid; e < n * d; e += kChunkThreads) {
    const int r = e / d, i = e % d;
    qs[r * qs_stride + i] = load_f32(c.q + r * q_stride + int64_t(h) * d + i);
    ks[r * qs_stride + i] = load_f32(c.k + r * kv_stride + int64_t(kvh) * d + i);
  }
  __syncthreads();
  // Decayed causal scores λ^{t-s} (q_t·k_s), s ≤ t: once per chunk, for every slab below.
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
  float* u = scratch.u + (int64_t(h) * kMaxChunks + chunk) * d * d;
  for (int col0 = 0; col0 < d; col0 += kSlab) {
    for (int e = tid; e < n * kSlab; e += kChunkThreads) {
      const int r = e / kSlab, col = col0 + e % kSlab;
      vs[e] = col < d ? load_f32(c.v + r * kv_stride + int64_t(kvh) * d + col) : 0.0f;
    }
    __syncthreads();  // the scores (first slab) and this slab of v are in place
    for (int e = tid; e < n * kSlab; e += kChunkThreads) {
      const int t = e / kSlab, col = e % kSlab;
      if (col0 + col >= d) continue;
      float intra = 0;
      for (int s = 0; s <= t; ++s) intra += scores[t * kChunk + s] * vs[s * kSlab + col];
      scratch.intra[(int64_t(chunk) * kChunk + t) * q_stride + int64_t(h) * d + col0 + col] = intra;
    }
    for (int e = tid; e < d * kSlab; e += kChunkThreads) {
      const int i = e / kSlab, col = e % kSlab;
      if (col0 + col >= d) continue;
      float acc = 0;
      for (int s = 0; s < n; ++s) acc += powers[n - 1 - s] * ks[s * qs_stride + i] * vs[s * kSlab + col];
      u[int64_t(i) * d + col0 + col] = acc;
    }
    __syncthreads();  // before the next slab of v overwrites this one
  }
}

// Sequence blockIdx.z of the group walks its chunks.
__global__ void lightning_scan_kernel(LightningArgs a, const LightningChunk* chunks, const LightningChunkRun* runs,
                                      ChunkScratch scratch) {
  const int h = blockIdx.x;
  const LightningChunkRun run = runs[blockIdx.z];
  const int64_t dd = int64_t(a.head_dim) * a.head_dim;
  const int64_t e = blockIdx.y * int64_t(blockDim.x) + threadIdx.x;
  if (e >= dd) return;
  const float log_decay = -a.slopes[h];
  float* state = run.state + h * dd + e;
  float S = *state;
  for (int c = run.first; c < run.first + run.count; ++c) {
    float* u = scratch.u + (int64_t(h) * kMaxChunks + c) * dd + e;
    const float increment = *u;
    *u = S;  // the state this chunk starts from
    S = expf(log_decay * float(chunks[c].rows)) * S + increment;
  }
  *state = S;
}

__global__ void __launch_bounds__(kChunkThreads)
    lightning_output_kernel(LightningArgs a, const LightningChunk* chunks, ChunkScratch scratch) {
  extern __shared__ float smem[];
  const int d = a.head_dim;
  const int qs_stride = d + 1;
  float* qs = smem;                      // [kChunk][d + 1]
  float* S = qs + kChunk * qs_stride;    // [d][kSlab]
  const int h = blockIdx.x, chunk = blockIdx.y;
  const LightningChunk c = chunks[chunk];
  const int col0 = blockIdx.z * kSlab;
  const int tid = threadIdx.x;
  const int n = c.rows;
  const int64_t q_stride = int64_t(a.heads) * d;
  const float log_decay = -a.slopes[h];
  const float* before = scratch.u + (int64_t(h) * kMaxChunks + chunk) * d * d;
  for (int e = tid; e < n * d; e += kChunkThreads) {
    const int r = e / d, i = e % d;
    qs[r * qs_stride + i] = load_f32(c.q + r * q_stride + int64_t(h) * d + i);
  }
  for (int e = tid; e < d * kSlab; e += kChunkThreads) {
    const int i = e / kSlab, col = col0 + e % kSlab;
    S[e] = col < d ? before[int64_t(i) * d + col] : 0.0f;
  }
  __syncthreads();
  for (int e = tid; e < n * kSlab; e += kChunkThreads) {
    const int t = e / kSlab, col = e % kSlab;
    if (col0 + col >= d) continue;
    const float* qt = qs + t * qs_stride;
    float inter = 0;
    for (int i = 0; i < d; ++i) inter += qt[i] * S[i * kSlab + col];
    const int64_t at = int64_t(t) * q_stride + int64_t(h) * d + col0 + col;
    store_bf16(c.out + at, a.scale * (expf(log_decay * float(t + 1)) * inter +
                                      scratch.intra[int64_t(chunk) * kChunk * q_stride + at]));
  }
}

unsigned slabs(int d) { return unsigned((d + kSlab - 1) / kSlab); }

}  // namespace

void launch_lightning_recurrent(const LightningArgs& a) {
  if (a.rows == 0) return;
  lightning_recurrent_kernel<<<dim3(unsigned(a.heads), slabs(a.head_dim)), dim3(kSlab, kRowGroups)>>>(a);
  check_launch("lightning (recurrent)");
}

void launch_lightning_recurrent_segments(const LightningArgs& shared, const LightningSequence* seqs, int count) {
  if (count == 0) return;
  lightning_recurrent_segments_kernel<<<dim3(unsigned(shared.heads), slabs(shared.head_dim), unsigned(count)),
                                        dim3(kSlab, kRowGroups)>>>(shared, seqs);
  check_launch("lightning (recurrent, segments)");
}

size_t lightning_chunks_scratch_bytes(int heads, int head_dim) {
  return (size_t(kMaxChunks) * kChunk * size_t(heads) * size_t(head_dim) +
          size_t(heads) * kMaxChunks * size_t(head_dim) * size_t(head_dim)) *
         sizeof(float);
}

void launch_lightning_chunks(const LightningArgs& shared, const LightningChunk* chunks, int chunk_count,
                             const LightningChunkRun* runs, int run_count, void* scratch_memory) {
  if (chunk_count == 0) return;
  ChunkScratch scratch;
  scratch.intra = static_cast<float*>(scratch_memory);
  scratch.u = scratch.intra + int64_t(kMaxChunks) * kChunk * shared.heads * shared.head_dim;
  const size_t local_bytes = local_smem_floats(shared.head_dim) * sizeof(float);
  const size_t output_bytes = size_t(kChunk * (shared.head_dim + 1) + shared.head_dim * kSlab) * sizeof(float);
  static const bool raised = [] {
    check(cudaFuncSetAttribute(lightning_local_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                               int(local_smem_floats(kMaxDim) * sizeof(float))),
          "lightning (chunked)");
    check(cudaFuncSetAttribute(lightning_output_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                               int((kChunk * (kMaxDim + 1) + kMaxDim * kSlab) * sizeof(float))),
          "lightning (chunked)");
    return true;
  }();
  (void)raised;
  const int64_t dd = int64_t(shared.head_dim) * shared.head_dim;
  // The local kernel walks the slabs itself (the chunk's scores serve them all); the output kernel
  // takes one slab a block.
  lightning_local_kernel<<<dim3(unsigned(shared.heads), unsigned(chunk_count)), kChunkThreads, local_bytes>>>(
      shared, chunks, scratch);
  check_launch("lightning (chunked)");
  lightning_scan_kernel<<<dim3(unsigned(shared.heads), unsigned((dd + 255) / 256), unsigned(run_count)), 256>>>(
      shared, chunks, runs, scratch);
  check_launch("lightning (chunked)");
  const dim3 grid(unsigned(shared.heads), unsigned(chunk_count), slabs(shared.head_dim));
  lightning_output_kernel<<<grid, kChunkThreads, output_bytes>>>(shared, chunks, scratch);
  check_launch("lightning (chunked)");
}

}  // namespace halo::backend::cuda
