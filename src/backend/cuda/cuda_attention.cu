// Causal softmax attention, flash-attention style: scores live only in registers, never as a T×T
// matrix. A block takes 64 query rows of one or two query heads that share a kv head (2 warps a
// head, 32 rows a warp, Q staged in shared memory) — or, for sequences of at most 16 new rows
// (decoding), 16 rows of up to four such heads (1 warp a head, Q in registers) — so each
// key/value tile serves every head of the block, and walks the cache in tiles of 64 keys. Tiles
// are staged in shared memory by cp.async, double-buffered so the next tile loads while this one
// is used, and fed to the tensor cores by ldmatrix. Q·Kᵀ and P·V run on mma.sync m16n8k16 (bf16
// in, fp32 accumulate); the softmax is online in fp32 with base-2 exponentials. The accumulator
// layout of mma.sync is known, so the S tile is reused in registers as the A operand of P·V and
// rows are rescaled without leaving registers.
//
// Grouped KV heads: query head h reads kv head h / (heads / kv_heads). Queries are new tokens at
// positions first_pos..first_pos+T-1 against a cache that already holds them, so one kernel serves
// prefill, shared-context continuations and decoding. When there are too few (row tile, head) blocks
// to fill the GPU (decoding, short continuations), the keys are split over several blocks that write
// partial results (unnormalised output, running max and sum), and a second kernel merges them.
//
// A launch takes a table of up to 64 tiles (64 query rows of one sequence each) by value, so the
// tiles of many sequences of a packed batch (decode steps, continuations) share one launch; tiles
// are ordered heaviest first (most keys), and the grid puts the head group on x so the hardware
// starts every head group's heaviest tile first and the last wave of blocks is short.
#include <algorithm>
#include <vector>

#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_common.cuh"

namespace halo::backend::cuda {

namespace {

constexpr int kKeys = 64;  // keys per tile
constexpr float kLog2e = 1.4426950408889634f;

__device__ __forceinline__ void mma_bf16(float (&c)[4], const uint32_t (&a)[4], uint32_t b0,
                                         uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
      "{%0,%1,%2,%3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

__device__ __forceinline__ int64_t imin(int64_t a, int64_t b) { return a < b ? a : b; }

__device__ __forceinline__ uint32_t pack_bf16(float lo, float hi) {
  __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);
  return *reinterpret_cast<uint32_t*>(&v);
}

struct SplitArgs {
  int splits = 1;
  float* part_o = nullptr;   // [splits, T, heads, DP] unnormalised outputs
  float* part_ml = nullptr;  // [splits, T, heads, 2] running max (log2 units) and sum
};

__device__ __forceinline__ void cp_async16(void* smem, const void* gmem, bool valid) {
  const unsigned dst = unsigned(__cvta_generic_to_shared(smem));
  const int bytes = valid ? 16 : 0;  // 0: fill the 16 bytes with zeros, read nothing
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(gmem), "r"(bytes));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
__device__ __forceinline__ void cp_async_wait_previous() { asm volatile("cp.async.wait_group 1;\n" ::); }

__device__ __forceinline__ void ldmatrix_x4(uint32_t (&r)[4], const void* row) {
  const unsigned a = unsigned(__cvta_generic_to_shared(row));
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(a));
}
__device__ __forceinline__ void ldmatrix_x2(uint32_t (&r)[2], const void* row) {
  const unsigned a = unsigned(__cvta_generic_to_shared(row));
  asm volatile("ldmatrix.sync.aligned.m8n8.x2.shared.b16 {%0,%1}, [%2];\n" : "=r"(r[0]), "=r"(r[1]) : "r"(a));
}
__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t (&r)[4], const void* row) {
  const unsigned a = unsigned(__cvta_generic_to_shared(row));
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(a));
}

template <int DP>
constexpr int kStride = DP + 8;  // padded rows: the 8 rows of an ldmatrix hit distinct banks

template <int DP>
constexpr size_t smem_bytes() {
  return size_t(2) * 2 * kKeys * kStride<DP> * sizeof(bf16_bits);  // 2 stages × (K, V)
}

constexpr int kMaxTiles = 64;

struct Tile {
  const bf16_bits* q;  // the sequence's rows, row stride heads * head_dim
  const bf16_bits* k;  // the sequence's cache
  const bf16_bits* v;
  bf16_bits* out;
  int64_t first_pos;
  int32_t rows;  // the sequence's query rows
  int32_t q0;    // this tile's first row among them
};

struct TileBatch {
  int count = 0;
  Tile tiles[kMaxTiles];
};

// DP: head_dim rounded up to a multiple of 16 (the mma k-step); columns past head_dim are zero.
// HPB: query heads per block (heads that share a kv head, so they share its key/value tiles).
// WPH: warps per head. MT: 16-row mma tiles per warp. A block covers 16 * MT * WPH query rows.
//   Prefill and continuations (64-row tiles): WPH 2, MT 2 — 32 rows a warp, so each K or V
//   fragment a warp takes from shared memory feeds four mma instead of two (a 4096-row prefill
//   kept the multiprocessors busy 15% fewer cycles than with 16-row warps, by Nsight Compute).
//   Q then waits in shared memory and is read a k-step at a time: 32 rows of Q, O and S would not
//   fit in registers together.
//   Decoding (16-row tiles): WPH 1, MT 1 — a sequence has one new row and the other rows of a tile
//   are computed for nothing; Q stays in registers.
// Block (head group, tile, split); split partials are indexed by tile * (16 * MT * WPH) + row.
template <int DP, int HPB, int WPH, int MT>
__global__ void __launch_bounds__(32 * WPH * HPB)
    attention_kernel(const __grid_constant__ TileBatch batch, AttentionShape a, SplitArgs split,
                     float scale_log2) {
  constexpr int S = kStride<DP>;
  constexpr int kWarpRows = 16 * MT;
  constexpr int kRows = kWarpRows * WPH;
  constexpr int kThreads = 32 * WPH * HPB;
  constexpr bool kQShared = MT > 1;
  extern __shared__ __align__(16) bf16_bits smem[];
  // smem: [stage][K|V][kKeys][S], then (kQShared) [HPB][kRows][S]
  auto tile_row = [&](int stage, int which, int r) { return smem + ((stage * 2 + which) * kKeys + r) * S; };
  bf16_bits* q_smem = smem + 2 * 2 * kKeys * S;

  // blockIdx.x is the head group, so blocks start heaviest tile first across every head group (the
  // hardware dispatches x fastest); with tiles on x, the last head group's heaviest tiles started last.
  const int tile_index = blockIdx.y;
  const Tile& tl = batch.tiles[tile_index];
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int g = lane / 4, t = lane % 4;
  const int group = a.heads / a.kv_heads;
  const int head_in_block = warp / WPH, warp_in_head = warp % WPH;
  const int h = blockIdx.x * HPB + head_in_block;
  const int kvh = h / group;
  const int64_t q0 = tl.q0;
  const int64_t rows = tl.rows;
  const int64_t first_pos = tl.first_pos;
  const int64_t q_stride = int64_t(a.heads) * a.head_dim;
  const int64_t kv_stride = int64_t(a.kv_heads) * a.head_dim;
  const int d = a.head_dim;

  // Keys this block may need (causal), and this split's share of them. Key positions fit 32 bits
  // (a cache holds far fewer than 2^31 rows); 32-bit indices keep registers for the accumulators.
  const int block_keys = int(first_pos + imin(q0 + kRows, rows));
  int key_begin = 0, key_end = block_keys;
  if (split.splits > 1) {
    int per = (block_keys + split.splits - 1) / split.splits;
    per = (per + kKeys - 1) / kKeys * kKeys;
    key_begin = min(int(blockIdx.z) * per, block_keys);
    key_end = min(key_begin + per, block_keys);
  }

  const bf16_bits* kh = tl.k + int64_t(kvh) * d;
  const bf16_bits* vh = tl.v + int64_t(kvh) * d;
  auto load_tile = [&](int stage, int tile) {
    constexpr int kChunks = kKeys * DP / 8;  // 16-byte pieces per matrix
    for (int c = threadIdx.x; c < kChunks; c += kThreads) {
      const int r = c / (DP / 8), col = (c % (DP / 8)) * 8;
      const int64_t key = tile + r;
      const bool valid = key < key_end && col < d;
      const int64_t offset = valid ? key * kv_stride + col : 0;
      cp_async16(tile_row(stage, 0, r) + col, kh + offset, valid);
      cp_async16(tile_row(stage, 1, r) + col, vh + offset, valid);
    }
  };
  if constexpr (kQShared) {
    // The block's query rows of each of its heads, in the first copy group with the first tile.
    constexpr int kHeadChunks = kRows * DP / 8;
    for (int c = threadIdx.x; c < HPB * kHeadChunks; c += kThreads) {
      const int hb = c / kHeadChunks, r = (c % kHeadChunks) / (DP / 8), col = (c % (DP / 8)) * 8;
      const int64_t row = q0 + r;
      const bool valid = row < rows && col < d;
      const int64_t offset = valid ? row * q_stride + int64_t(blockIdx.x * HPB + hb) * d + col : 0;
      cp_async16(q_smem + (hb * kRows + r) * S + col, tl.q + offset, valid);
    }
  }
  if (key_begin < key_end) load_tile(0, key_begin);
  cp_async_commit();

  // Row r of this warp's m-tile m is query row q0 + warp_row0 + 16 m + r; a thread holds rows
  // g and g + 8 of each m-tile (mma accumulator layout), "a" and "b" below.
  const int warp_row0 = warp_in_head * kWarpRows;
  // Without kQShared (MT 1): the warp's 16 query rows as mma A fragments (rows g and g+8,
  // columns t*2 and t*2+8), loaded once.
  uint32_t qf[kQShared ? 1 : DP / 16][4];
  if constexpr (!kQShared) {
    const bf16_bits* qh = tl.q + int64_t(h) * d;
    const int64_t row_a = q0 + warp_row0 + g, row_b = row_a + 8;
#pragma unroll
    for (int kk = 0; kk < DP / 16; ++kk) {
      const int c0 = kk * 16 + t * 2, c1 = c0 + 8;
      auto load = [&](int64_t row, int col) -> uint32_t {
        if (row >= rows || col >= d) return 0u;
        return *reinterpret_cast<const uint32_t*>(qh + row * q_stride + col);
      };
      qf[kk][0] = load(row_a, c0);
      qf[kk][1] = load(row_b, c0);
      qf[kk][2] = load(row_a, c1);
      qf[kk][3] = load(row_b, c1);
    }
  }
  const int warp_first_pos = int(first_pos + q0) + warp_row0;

  float o[MT][DP / 8][4];
  float m_a[MT], m_b[MT], l_a[MT], l_b[MT];
#pragma unroll
  for (int m = 0; m < MT; ++m) {
#pragma unroll
    for (int n = 0; n < DP / 8; ++n) o[m][n][0] = o[m][n][1] = o[m][n][2] = o[m][n][3] = 0;
    m_a[m] = m_b[m] = -INFINITY;
    l_a[m] = l_b[m] = 0;
  }

  // ldmatrix row addresses: lane l feeds row l % 8 of matrix l / 8.
  const int mi = lane / 8, mr = lane % 8;
  // A fragment of m-tile m, k-step kk from shared Q: matrices (rows 0-7 | 8-15) × (cols 0-7 | 8-15).
  auto q_fragment = [&](uint32_t(&r)[4], int m, int kk) {
    ldmatrix_x4(r, q_smem + (head_in_block * kRows + warp_row0 + m * 16 + (mi % 2) * 8 + mr) * S + kk * 16 +
                       (mi / 2) * 8);
  };
  int stage = 0;
  for (int tile = key_begin; tile < key_end; tile += kKeys, stage ^= 1) {
    if (tile + kKeys < key_end) load_tile(stage ^ 1, tile + kKeys);
    cp_async_commit();
    cp_async_wait_previous();  // this tile's group has landed
    __syncthreads();

    // S = Q Kᵀ for each m-tile's 16 rows × 64 keys: 8 n-tiles of 8 keys.
    float s[MT][kKeys / 8][4];
#pragma unroll
    for (int m = 0; m < MT; ++m) {
#pragma unroll
      for (int j = 0; j < kKeys / 8; ++j) s[m][j][0] = s[m][j][1] = s[m][j][2] = s[m][j][3] = 0;
    }
    if constexpr (DP == 16) {
      uint32_t qa[MT][4];
#pragma unroll
      for (int m = 0; m < MT; ++m) {
        if constexpr (kQShared) q_fragment(qa[m], m, 0);
        else qa[m][0] = qf[0][0], qa[m][1] = qf[0][1], qa[m][2] = qf[0][2], qa[m][3] = qf[0][3];
      }
#pragma unroll
      for (int j = 0; j < kKeys / 8; ++j) {
        uint32_t b[2];
        ldmatrix_x2(b, tile_row(stage, 0, j * 8 + mr) + (mi % 2) * 8);
#pragma unroll
        for (int m = 0; m < MT; ++m) mma_bf16(s[m][j], qa[m], b[0], b[1]);
      }
    } else if constexpr (kQShared) {
      // One k-step at a time (registers are short with 32 rows a warp): every m-tile's A fragment
      // from shared Q, then each key n-tile's B fragment feeds MT mma. Not unrolled: unrolled, the
      // hoisted addresses spill (84 bytes for head_dim 128) and the kernel is no faster.
#pragma unroll 1
      for (int kk = 0; kk < DP / 16; ++kk) {
        uint32_t qa[MT][4];
#pragma unroll
        for (int m = 0; m < MT; ++m) q_fragment(qa[m], m, kk);
#pragma unroll
        for (int j = 0; j < kKeys / 8; ++j) {
          uint32_t b[2];
          ldmatrix_x2(b, tile_row(stage, 0, j * 8 + mr) + kk * 16 + (mi % 2) * 8);
#pragma unroll
          for (int m = 0; m < MT; ++m) mma_bf16(s[m][j], qa[m], b[0], b[1]);
        }
      }
    } else {
#pragma unroll
      for (int kk = 0; kk < DP / 16; kk += 2) {
        // Two k-steps of the A fragments, then each key n-tile's B fragments feed two mma.
#pragma unroll
        for (int j = 0; j < kKeys / 8; ++j) {
          uint32_t b[4];
          ldmatrix_x4(b, tile_row(stage, 0, j * 8 + mr) + kk * 16 + mi * 8);
          mma_bf16(s[0][j], qf[kk], b[0], b[1]);
          mma_bf16(s[0][j], qf[kk + 1], b[2], b[3]);
        }
      }
    }

    // Causal and range mask (only tiles that reach past the warp's first row or the key range need
    // it), scale, row maxima (each row is spread over the 4 lanes of a quad), then the online
    // softmax update; P is packed to bf16 as the A operand of P·V.
    const bool masked = tile + kKeys > key_end || tile + kKeys - 1 > warp_first_pos;
    uint32_t p[MT][kKeys / 16][4];
#pragma unroll
    for (int m = 0; m < MT; ++m) {
      const int pos_a = warp_first_pos + m * 16 + g, pos_b = pos_a + 8;
      float mx_a = -INFINITY, mx_b = -INFINITY;
#pragma unroll
      for (int j = 0; j < kKeys / 8; ++j) {
#pragma unroll
        for (int e = 0; e < 2; ++e) {
          const int key = tile + j * 8 + t * 2 + e;
          const bool in_range = !masked || key < key_end;
          s[m][j][e] = (in_range && (!masked || key <= pos_a)) ? s[m][j][e] * scale_log2 : -INFINITY;
          s[m][j][2 + e] = (in_range && (!masked || key <= pos_b)) ? s[m][j][2 + e] * scale_log2 : -INFINITY;
          mx_a = fmaxf(mx_a, s[m][j][e]);
          mx_b = fmaxf(mx_b, s[m][j][2 + e]);
        }
      }
#pragma unroll
      for (int off = 1; off < 4; off *= 2) {
        mx_a = fmaxf(mx_a, __shfl_xor_sync(0xffffffffu, mx_a, off));
        mx_b = fmaxf(mx_b, __shfl_xor_sync(0xffffffffu, mx_b, off));
      }
      const float new_a = fmaxf(m_a[m], mx_a), new_b = fmaxf(m_b[m], mx_b);
      // A row with no visible key yet keeps max -inf; 0 as reference keeps exp2 free of NaN.
      const float ref_a = new_a == -INFINITY ? 0.0f : new_a;
      const float ref_b = new_b == -INFINITY ? 0.0f : new_b;
      const float alpha_a = exp2f(m_a[m] - ref_a), alpha_b = exp2f(m_b[m] - ref_b);
      m_a[m] = new_a;
      m_b[m] = new_b;
      float sum_a = 0, sum_b = 0;
#pragma unroll
      for (int j = 0; j < kKeys / 8; ++j) {
        s[m][j][0] = exp2f(s[m][j][0] - ref_a);
        s[m][j][1] = exp2f(s[m][j][1] - ref_a);
        s[m][j][2] = exp2f(s[m][j][2] - ref_b);
        s[m][j][3] = exp2f(s[m][j][3] - ref_b);
        sum_a += s[m][j][0] + s[m][j][1];
        sum_b += s[m][j][2] + s[m][j][3];
      }
      l_a[m] = l_a[m] * alpha_a + sum_a;
      l_b[m] = l_b[m] * alpha_b + sum_b;
#pragma unroll
      for (int n = 0; n < DP / 8; ++n) {
        o[m][n][0] *= alpha_a;
        o[m][n][1] *= alpha_a;
        o[m][n][2] *= alpha_b;
        o[m][n][3] *= alpha_b;
      }
      // The S accumulators of two adjacent key n-tiles form one A fragment.
#pragma unroll
      for (int kk = 0; kk < kKeys / 16; ++kk) {
        p[m][kk][0] = pack_bf16(s[m][2 * kk][0], s[m][2 * kk][1]);
        p[m][kk][1] = pack_bf16(s[m][2 * kk][2], s[m][2 * kk][3]);
        p[m][kk][2] = pack_bf16(s[m][2 * kk + 1][0], s[m][2 * kk + 1][1]);
        p[m][kk][3] = pack_bf16(s[m][2 * kk + 1][2], s[m][2 * kk + 1][3]);
      }
    }

    // O += P V: V comes transposed out of ldmatrix, two n-tiles of 8 columns at a time, and
    // each fragment serves every m-tile.
#pragma unroll
    for (int kk = 0; kk < kKeys / 16; ++kk) {
#pragma unroll
      for (int n = 0; n < DP / 8; n += 2) {
        uint32_t b[4];
        ldmatrix_x4_trans(b, tile_row(stage, 1, kk * 16 + (mi % 2) * 8 + mr) + (n + mi / 2) * 8);
#pragma unroll
        for (int m = 0; m < MT; ++m) {
          mma_bf16(o[m][n], p[m][kk], b[0], b[1]);
          mma_bf16(o[m][n + 1], p[m][kk], b[2], b[3]);
        }
      }
    }
    __syncthreads();  // every warp is done with this stage before it is refilled
  }

  const int64_t z = blockIdx.z;
  // Partial rows: kRows per tile of this launch.
  auto part = [&](int64_t row) {
    return ((z * batch.count + tile_index) * kRows + (row - q0)) * a.heads + h;
  };
  bf16_bits* oh = tl.out + int64_t(h) * d;
#pragma unroll
  for (int m = 0; m < MT; ++m) {
    float la = l_a[m], lb = l_b[m];
#pragma unroll
    for (int off = 1; off < 4; off *= 2) {
      la += __shfl_xor_sync(0xffffffffu, la, off);
      lb += __shfl_xor_sync(0xffffffffu, lb, off);
    }
    const int64_t row_a = q0 + warp_row0 + m * 16 + g, row_b = row_a + 8;
    if (split.splits == 1) {
      const float inv_a = la > 0 ? 1.0f / la : 0.0f, inv_b = lb > 0 ? 1.0f / lb : 0.0f;
#pragma unroll
      for (int n = 0; n < DP / 8; ++n) {
        const int col = n * 8 + t * 2;
        if (col >= d) continue;
        if (row_a < rows) {
          *reinterpret_cast<__nv_bfloat162*>(oh + row_a * q_stride + col) =
              __floats2bfloat162_rn(o[m][n][0] * inv_a, o[m][n][1] * inv_a);
        }
        if (row_b < rows) {
          *reinterpret_cast<__nv_bfloat162*>(oh + row_b * q_stride + col) =
              __floats2bfloat162_rn(o[m][n][2] * inv_b, o[m][n][3] * inv_b);
        }
      }
      continue;
    }
#pragma unroll
    for (int n = 0; n < DP / 8; ++n) {
      const int col = n * 8 + t * 2;
      if (row_a < rows) {
        split.part_o[part(row_a) * DP + col] = o[m][n][0];
        split.part_o[part(row_a) * DP + col + 1] = o[m][n][1];
      }
      if (row_b < rows) {
        split.part_o[part(row_b) * DP + col] = o[m][n][2];
        split.part_o[part(row_b) * DP + col + 1] = o[m][n][3];
      }
    }
    if (t == 0) {
      if (row_a < rows) {
        split.part_ml[part(row_a) * 2] = m_a[m];
        split.part_ml[part(row_a) * 2 + 1] = la;
      }
      if (row_b < rows) {
        split.part_ml[part(row_b) * 2] = m_b[m];
        split.part_ml[part(row_b) * 2 + 1] = lb;
      }
    }
  }
}

// One block per (tile row, head): weights each split's partial output by exp2(m_split - m_max).
template <int DP, int kRows>
__global__ void merge_splits_kernel(const __grid_constant__ TileBatch batch, AttentionShape a,
                                    SplitArgs split) {
  const int tile = blockIdx.x / kRows, r = blockIdx.x % kRows;
  const Tile& tl = batch.tiles[tile];
  if (tl.q0 + r >= tl.rows) return;
  const int h = blockIdx.y;
  auto part = [&](int z) { return ((int64_t(z) * batch.count + tile) * kRows + r) * a.heads + h; };
  float m = -INFINITY;
  for (int z = 0; z < split.splits; ++z) m = fmaxf(m, split.part_ml[part(z) * 2]);
  for (int col = threadIdx.x; col < a.head_dim; col += blockDim.x) {
    float total = 0, acc = 0;
    for (int z = 0; z < split.splits; ++z) {
      const int64_t p = part(z);
      const float w = exp2f(split.part_ml[p * 2] - m);
      total += split.part_ml[p * 2 + 1] * w;
      acc += split.part_o[p * DP + col] * w;
    }
    store_bf16(tl.out + int64_t(tl.q0 + r) * a.heads * a.head_dim + int64_t(h) * a.head_dim + col,
               acc / total);
  }
}

int padded_dim(int head_dim) { return head_dim <= 16 ? 16 : head_dim <= 32 ? 32 : head_dim <= 64 ? 64 : 128; }

// Query heads per block: as many of a kv head's query heads as the block's warps allow (at most
// 4 warps: 2 heads of 2 warps for 64-row tiles, 4 heads of 1 for 16-row tiles).
int heads_per_block(const AttentionShape& a, bool small) {
  const int group = a.heads / a.kv_heads;
  if (small && group % 4 == 0) return 4;
  return group % 2 == 0 ? 2 : 1;
}

// The launches of a call: tiles of every sequence, heaviest first, at most kMaxTiles a launch,
// each with its split count. Sequences of up to 16 new rows (decoding, short continuations) get
// one 16-row tile (1 warp a head); longer ones 64-row tiles (2 warps of 32 rows a head).
constexpr int64_t kSmallTileRows = 16, kLargeTileRows = 64;
int64_t tile_rows(bool small) { return small ? kSmallTileRows : kLargeTileRows; }

struct Launch {
  TileBatch batch;
  int splits = 1;
  bool small = false;  // 16-row tiles
};

void plan_tiles(std::vector<Tile> tiles, bool small, const AttentionShape& a, std::vector<Launch>& launches) {
  const int64_t rows_per_tile = tile_rows(small);
  auto keys = [&](const Tile& t) { return t.first_pos + std::min<int64_t>(t.q0 + rows_per_tile, t.rows); };
  std::stable_sort(tiles.begin(), tiles.end(), [&](const Tile& x, const Tile& y) { return keys(x) > keys(y); });
  for (size_t begin = 0; begin < tiles.size(); begin += kMaxTiles) {
    Launch l;
    l.small = small;
    l.batch.count = int(std::min<size_t>(kMaxTiles, tiles.size() - begin));
    std::copy_n(tiles.begin() + long(begin), l.batch.count, l.batch.tiles);
    const int64_t blocks = int64_t(l.batch.count) * (a.heads / heads_per_block(a, small));
    // Too few blocks to keep every multiprocessor busy: split the keys until there are `target`.
    // The small decoding blocks (2-4 warps, three resident a multiprocessor for head_dim 128) want
    // four a multiprocessor; the large ones split only below one and aim for two.
    const int64_t sms = a.multiprocessors;
    const int64_t target = small ? 4 * sms : 2 * sms;
    if (blocks < (small ? target : sms)) {
      const int64_t wanted = (target + blocks - 1) / blocks;
      // At least two tiles of keys per split, so merging stays cheap next to the work split.
      const int64_t most = std::max<int64_t>(1, keys(l.batch.tiles[0]) / (2 * kKeys));
      l.splits = int(std::clamp<int64_t>(std::min(wanted, most), 1, 64));
    }
    launches.push_back(l);
  }
}

std::vector<Launch> plan(const AttentionSequence* seqs, int count, const AttentionShape& a) {
  std::vector<Tile> small, large;
  for (int i = 0; i < count; ++i) {
    const AttentionSequence& q = seqs[i];
    if (q.rows <= kSmallTileRows) {
      small.push_back({q.q, q.k, q.v, q.out, q.first_pos, int32_t(q.rows), 0});
      continue;
    }
    for (int64_t q0 = 0; q0 < q.rows; q0 += kLargeTileRows) {
      large.push_back({q.q, q.k, q.v, q.out, q.first_pos, int32_t(q.rows), int32_t(q0)});
    }
  }
  std::vector<Launch> launches;
  plan_tiles(std::move(large), false, a, launches);
  plan_tiles(std::move(small), true, a, launches);
  return launches;
}

size_t partial_bytes(const Launch& l, const AttentionShape& a) {
  if (l.splits == 1) return 0;
  return size_t(l.splits) * size_t(l.batch.count) * size_t(tile_rows(l.small)) * size_t(a.heads) *
         size_t(padded_dim(a.head_dim) + 2) * sizeof(float);
}

template <int DP, int HPB, int WPH, int MT>
void launch(const Launch& l, const AttentionShape& a, void* scratch) {
  constexpr int kRows = 16 * MT * WPH;
  SplitArgs split;
  split.splits = l.splits;
  const float scale_log2 = kLog2e / sqrtf(float(a.head_dim));
  dim3 grid(unsigned(a.heads / HPB), unsigned(l.batch.count), unsigned(split.splits));
  if (split.splits > 1) {
    split.part_o = static_cast<float*>(scratch);
    split.part_ml = split.part_o + int64_t(split.splits) * l.batch.count * kRows * a.heads * DP;
  }
  constexpr size_t bytes = smem_bytes<DP>() + (MT > 1 ? size_t(HPB) * kRows * kStride<DP> * sizeof(bf16_bits) : 0);
  if constexpr (bytes > 48 * 1024) {
    static const bool raised = [] {
      check(cudaFuncSetAttribute(attention_kernel<DP, HPB, WPH, MT>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                 int(bytes)),
            "attention");
      // All of the unified L1 as shared memory, so as many blocks fit a multiprocessor as its
      // registers allow (two of the 64-row kernel for head_dim 128).
      check(cudaFuncSetAttribute(attention_kernel<DP, HPB, WPH, MT>,
                                 cudaFuncAttributePreferredSharedMemoryCarveout, int(cudaSharedmemCarveoutMaxShared)),
            "attention");
      return true;
    }();
    (void)raised;
  }
  attention_kernel<DP, HPB, WPH, MT><<<grid, 32 * WPH * HPB, bytes>>>(l.batch, a, split, scale_log2);
  check_launch("attention");
  if (split.splits > 1) {
    merge_splits_kernel<DP, kRows><<<dim3(unsigned(l.batch.count * kRows), unsigned(a.heads)), std::min(DP, 128)>>>(
        l.batch, a, split);
    check_launch("attention merge");
  }
}

template <int DP>
void launch_dim(const Launch& l, const AttentionShape& a, void* scratch) {
  // 16 rows × MT m-tiles × WPH warps a head must cover the tile the plan cut.
  static_assert(16 * 1 * 1 == kSmallTileRows && 16 * 2 * 2 == kLargeTileRows, "kernel rows vs planned tiles");
  const int hpb = heads_per_block(a, l.small);
  if (l.small) {
    if (hpb == 4) launch<DP, 4, 1, 1>(l, a, scratch);
    else if (hpb == 2) launch<DP, 2, 1, 1>(l, a, scratch);
    else launch<DP, 1, 1, 1>(l, a, scratch);
  } else if (hpb == 2) {
    launch<DP, 2, 2, 2>(l, a, scratch);
  } else {
    launch<DP, 1, 2, 2>(l, a, scratch);
  }
}

}  // namespace

size_t attention_scratch_bytes(const AttentionSequence* seqs, int count, const AttentionShape& a) {
  size_t most = 0;
  for (const Launch& l : plan(seqs, count, a)) most = std::max(most, partial_bytes(l, a));
  return most;
}

void launch_attention(const AttentionSequence* seqs, int count, const AttentionShape& a, void* scratch) {
  for (const Launch& l : plan(seqs, count, a)) {
    switch (padded_dim(a.head_dim)) {
      case 16: launch_dim<16>(l, a, scratch); break;
      case 32: launch_dim<32>(l, a, scratch); break;
      case 64: launch_dim<64>(l, a, scratch); break;
      default: launch_dim<128>(l, a, scratch); break;
    }
  }
}

}  // namespace halo::backend::cuda
