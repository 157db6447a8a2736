// Log-softmax + gather and argmax over logits rows, and the LM head fused with scoring. Scoring
// needs the probability of one token per row, so only a row's statistics are kept, never the row.
//
// This is where a small model spends its time: every scored token costs a 151,936-wide row of
// Qwen3 logits. A row is consumed a chunk of columns at a time (RowStats): one pass over the chunk
// for its maximum (the maximum of the bf16-rounded logits is the bf16 rounding of the maximum,
// rounding being monotonic), one fused pass for Σ exp(x - max) of both the fp32 and the
// bf16-rounded logits; a chunk that raises the maximum rescales the sums so far. score_head()
// computes the logits themselves a block of the vocabulary at a time and feeds each block to the
// statistics while it is in cache, so the [rows × vocab] logits matrix never exists.
//
// The inner loops use GCC/Clang vector types (16 floats, which the compiler maps onto AVX-512,
// AVX2 or SSE registers) and a branch-free fp32 exp; partial sums of 16 lanes over a chunk join a
// double total. Log-probs stay within ~1e-6 of the float64 log-softmax (tests/runtime/test_golden.cc
// holds them to 1e-4).
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/cpu_simd.h"
#include "base/bf16.h"
#include "base/thread_pool.h"

namespace halo::backend {

namespace {

using namespace simd;

constexpr int64_t kChunk = 512;  // columns per chunk of a logits row (score_targets)


// exp(x) for x <= 0 to about 2 ulp: Cephes' expf polynomial on x = n ln2 + r, |r| <= ln2/2, scaled
// by 2^n through the exponent bits. Below -87 it returns exp(-87) ≈ 1.6e-38 instead of a subnormal
// or zero: next to the maximum's exp(0) = 1 such terms are below fp32 resolution of the sum.
HALO_INLINE Floats exp_nonpositive(Floats x) {
  x = select(x < splat(-87.0f), splat(-87.0f), x);
  const Floats n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;  // round(x / ln2)
  Floats r = x - n * 0.693145751953125f;                                    // ln2, high part
  r = r - n * 1.428606765330187045e-06f;                                    // ln2, low part
  Floats p = splat(1.9875691500e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const Ints exponent = (__builtin_convertvector(n, Ints) + 127) << 23;
  return p * std::bit_cast<Floats>(exponent);
}

// round_to_bf16 of finite values (non-finite rows never reach the sums), lane-wise.
HALO_INLINE Floats round_finite_to_bf16(Floats x) {
  Words u = std::bit_cast<Words>(x);
  u += 0x7fffu + ((u >> 16) & 1u);
  return std::bit_cast<Floats>(u & 0xffff0000u);
}

struct ChunkMax {
  float max;
  bool finite;  // no NaN or infinity among the values
};

HALO_INLINE ChunkMax chunk_max(const float* x, int64_t n) {
  Floats vmax = splat(-INFINITY), bad = splat(0.0f);
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    const Floats v = load(x + i);
    vmax = select(v > vmax, v, vmax);
    bad += v - v;  // 0 for a finite v, NaN for a NaN or an infinity
  }
  if (i < n) {
    const Floats v = load_first(x + i, n - i, -INFINITY);
    vmax = select(v > vmax, v, vmax);
    const Floats z = load_first(x + i, n - i, 0.0f);
    bad += z - z;
  }
  ChunkMax result{-INFINITY, true};
  for (int64_t l = 0; l < kLanes; ++l) {
    result.max = std::max(result.max, vmax[l]);
    result.finite = result.finite && bad[l] == 0.0f;
  }
  result.finite = result.finite && std::isfinite(result.max);
  return result;
}

// Log-softmax statistics of one logits row, fed its columns a chunk at a time, in order.
struct RowStats {
  float max = -INFINITY;       // of the logits
  float max_bf16 = -INFINITY;  // of the bf16-rounded logits (= bf16 rounding of max)
  double sum = 0;              // Σ exp(x - max)
  double sum_bf16 = 0;         // Σ exp(bf16(x) - max_bf16)
  int64_t argmax = -1;         // first column holding max
  float target = 0;            // the target column's logit
  bool finite = true;
};

HALO_INLINE void add_chunk(RowStats& s, const float* x, int64_t first_column, int64_t n, int64_t target) {
  if (!s.finite) return;
  const ChunkMax m = chunk_max(x, n);
  if (!m.finite) {
    s.finite = false;
    return;
  }
  if (target >= first_column && target < first_column + n) s.target = x[target - first_column];
  if (m.max > s.max) {  // a new maximum: rescale what was summed against the old one
    s.argmax = first_column + (std::find(x, x + n, m.max) - x);
    s.sum *= std::exp(double(s.max) - double(m.max));
    const float max_bf16 = round_to_bf16(m.max);
    if (max_bf16 > s.max_bf16) {
      s.sum_bf16 *= std::exp(double(s.max_bf16) - double(max_bf16));
      s.max_bf16 = max_bf16;
    }
    s.max = m.max;
  }
  const Floats max = splat(s.max), max_bf16 = splat(s.max_bf16);
  Floats sum = splat(0.0f), sum_bf16 = splat(0.0f);
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    const Floats v = load(x + i);
    sum += exp_nonpositive(v - max);
    sum_bf16 += exp_nonpositive(round_finite_to_bf16(v) - max_bf16);
  }
  if (i < n) {
    const Ints lane = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    const Ints valid = lane < int32_t(n - i);
    const Floats v = load_first(x + i, n - i, s.max);
    sum += select(valid, exp_nonpositive(v - max), splat(0.0f));
    sum_bf16 += select(valid, exp_nonpositive(round_finite_to_bf16(v) - max_bf16), splat(0.0f));
  }
  for (int64_t l = 0; l < kLanes; ++l) {
    s.sum += double(sum[l]);
    s.sum_bf16 += double(sum_bf16[l]);
  }
}

TokenScore finish(const RowStats& s, int32_t target) {
  if (!s.finite) return {NAN, NAN, false};
  TokenScore score;
  score.logprob = float(double(s.target) - double(s.max) - std::log(s.sum));
  // lm-eval's bf16 path: fp32 arithmetic on bf16 logits, result stored as bf16.
  score.logprob_bf16 = round_to_bf16(round_to_bf16(s.target) - s.max_bf16 - float(std::log(s.sum_bf16)));
  score.is_argmax = s.argmax == target;
  return score;
}

HALO_VECTOR_CLONES void score_logit_rows(const float* logits, int64_t vocab, std::span<const int32_t> targets,
                                         size_t begin, size_t end, TokenScore* out) {
  for (size_t r = begin; r < end; ++r) {
    const float* x = logits + int64_t(r) * vocab;
    RowStats s;
    for (int64_t c = 0; c < vocab; c += kChunk) add_chunk(s, x + c, c, std::min(kChunk, vocab - c), targets[r]);
    out[r] = finish(s, targets[r]);
  }
}

HALO_VECTOR_CLONES void argmax_rows(const float* logits, int64_t vocab, LogitRounding rounding, size_t begin,
                                    size_t end, int32_t* out) {
  for (size_t r = begin; r < end; ++r) {
    const float* x = logits + int64_t(r) * vocab;
    const ChunkMax m = chunk_max(x, vocab);
    if (!m.finite) {
      out[r] = kNonFiniteRow;
      continue;
    }
    // The first logit equal to the maximum; with rounding, the first whose bf16 rounding equals
    // the rounded maximum (the lowest of the ids that tie at bf16 resolution).
    int64_t best = 0;
    if (rounding == LogitRounding::bf16) {
      const float max_bf16 = round_to_bf16(m.max);
      while (round_to_bf16(x[best]) != max_bf16) ++best;
    } else {
      best = std::find(x, x + vocab, m.max) - x;
    }
    out[r] = int32_t(best);
  }
}

// The fused LM head. Logits are computed in micro-tiles of kTileRows rows × kTileCols columns held
// in registers (a rank-1 update per hidden unit); the weights of a block of the vocabulary are
// first transposed (hidden-major) so that a tile's columns are one vector load per hidden unit.
constexpr int64_t kTileRows = 8;
constexpr int64_t kTileVectors = 2;
constexpr int64_t kTileCols = kTileVectors * kLanes;

// Vocabulary columns per block: its transposed weights (hidden × columns) stay within 64 KB.
int64_t block_columns(int64_t hidden) {
  return std::clamp<int64_t>(16384 / hidden / kTileCols * kTileCols, kTileCols, kChunk);
}

// Rows [begin, end) of x, a multiple of kTileRows (x holds zero rows up to a multiple of kTileRows).
HALO_VECTOR_CLONES void score_head_rows(const float* x, const float* head, int64_t vocab, int64_t hidden,
                                        std::span<const int32_t> targets, size_t begin, size_t end,
                                        TokenScore* out) {
  const int64_t block = block_columns(hidden);
  std::vector<float> weights(size_t(hidden * block));     // weights[k * block + c]
  std::vector<float> tile(size_t(kTileRows * block));    // logits of kTileRows rows × block
  std::vector<RowStats> stats(std::min(end, targets.size()) - std::min(begin, targets.size()));
  for (int64_t first = 0; first < vocab; first += block) {
    const int64_t n = std::min(block, vocab - first);
    const int64_t tiles = (n + kTileCols - 1) / kTileCols;
    if (n < block) std::fill(weights.begin(), weights.end(), 0.0f);  // the last block's tail columns
    const float* block_rows = head + first * hidden;
    for (int64_t k = 0; k < hidden; ++k) {  // contiguous writes: faster than contiguous reads here
      for (int64_t c = 0; c < n; ++c) weights[size_t(k * block + c)] = block_rows[c * hidden + k];
    }
    for (size_t r0 = begin; r0 < end; r0 += kTileRows) {
      const float* xr = x + int64_t(r0) * hidden;
      for (int64_t t = 0; t < tiles; ++t) {
        Floats acc[kTileRows][kTileVectors] = {};
        const float* wk = weights.data() + t * kTileCols;
        for (int64_t k = 0; k < hidden; ++k, wk += block) {
          Floats w[kTileVectors];
          for (int64_t v = 0; v < kTileVectors; ++v) w[v] = load(wk + v * kLanes);
          for (int64_t r = 0; r < kTileRows; ++r) {
            const float a = xr[r * hidden + k];
            for (int64_t v = 0; v < kTileVectors; ++v) acc[r][v] += a * w[v];
          }
        }
        for (int64_t r = 0; r < kTileRows; ++r) {
          for (int64_t v = 0; v < kTileVectors; ++v) store(tile.data() + r * block + t * kTileCols + v * kLanes, acc[r][v]);
        }
      }
      for (size_t r = r0; r < std::min(r0 + kTileRows, targets.size()); ++r) {
        add_chunk(stats[r - begin], tile.data() + int64_t(r - r0) * block, first, n, targets[r]);
      }
    }
  }
  for (size_t r = begin; r < std::min(end, targets.size()); ++r) out[r] = finish(stats[r - begin], targets[r]);
}

}  // namespace

std::vector<TokenScore> CpuBackend::score_targets_impl(const Tensor& logits, std::span<const int32_t> targets) {
  std::vector<TokenScore> scores(targets.size());
  ThreadPool::global().parallel_for(targets.size(), [&](size_t begin, size_t end) {
    score_logit_rows(f32(logits), logits.cols(), targets, begin, end, scores.data());
  });
  return scores;
}

std::vector<TokenScore> CpuBackend::score_head_impl(const Tensor& x, const Tensor& head, std::span<const int32_t> targets) {
  std::vector<TokenScore> scores(targets.size());
  if (targets.empty()) return scores;
  const int64_t hidden = x.cols();
  const size_t tiles = (targets.size() + kTileRows - 1) / kTileRows;
  std::vector<float> padded(tiles * kTileRows * size_t(hidden), 0.0f);
  std::memcpy(padded.data(), x.data(), size_t(x.numel()) * sizeof(float));
  ThreadPool::global().parallel_for(tiles, [&](size_t begin, size_t end) {
    score_head_rows(padded.data(), f32(head), head.rows(), hidden, targets, begin * kTileRows, end * kTileRows,
                    scores.data());
  });
  return scores;
}

std::vector<int32_t> CpuBackend::argmax_impl(const Tensor& logits, LogitRounding rounding) {
  std::vector<int32_t> result(size_t(logits.rows()));
  ThreadPool::global().parallel_for(result.size(), [&](size_t begin, size_t end) {
    argmax_rows(f32(logits), logits.cols(), rounding, begin, end, result.data());
  });
  return result;
}

}  // namespace halo::backend
