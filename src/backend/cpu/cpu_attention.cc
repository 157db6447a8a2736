// Causal softmax attention with grouped KV heads. Decoding (a few query rows) takes one (query row,
// head) pair per task, with the dot products and the weighted sum of values on 16-float vectors
// (cpu_simd.h). Prompts take blocks of query rows per head and let OpenBLAS do the two products
// (scores = Q Kᵀ, output = P V), which is where a long prompt spends its time.
#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/cpu_simd.h"
#include "base/thread_pool.h"

namespace halo::backend {

namespace {

// One query row of one head against keys [0, keys): scores, softmax, weighted sum into o.
HALO_VECTOR_CLONES void attend_row(const float* qv, const float* k, const float* v, int64_t kv_stride,
                                   int64_t keys, int d, float scale, std::vector<float>& weights, float* o) {
  weights.resize(size_t(keys));
  float max_score = -INFINITY;
  for (int64_t s = 0; s < keys; ++s) {
    weights[size_t(s)] = simd::dot(qv, k + s * kv_stride, d) * scale;
    max_score = std::max(max_score, weights[size_t(s)]);
  }
  double total = 0;
  for (auto& w : weights) {
    w = std::exp(w - max_score);
    total += w;
  }
  std::fill(o, o + d, 0.0f);
  const float inv_total = float(1.0 / total);
  for (int64_t s = 0; s < keys; ++s) simd::axpy(weights[size_t(s)] * inv_total, v + s * kv_stride, o, d);
}

// Exponentiates row `scores` (the first `valid` entries, the rest set to 0) into softmax weights.
void softmax_prefix(float* scores, int64_t valid, int64_t width, float scale) {
  float max_score = -INFINITY;
  for (int64_t s = 0; s < valid; ++s) {
    scores[s] *= scale;
    max_score = std::max(max_score, scores[s]);
  }
  double total = 0;
  for (int64_t s = 0; s < valid; ++s) {
    scores[s] = std::exp(scores[s] - max_score);
    total += scores[s];
  }
  const float inv_total = float(1.0 / total);
  for (int64_t s = 0; s < valid; ++s) scores[s] *= inv_total;
  std::fill(scores + valid, scores + width, 0.0f);
}

// Query rows [row_begin, row_end) of one head: rows sees keys [0, first_pos + row + 1).
void attend_block(const float* q, int64_t q_stride, const float* k, const float* v, int64_t kv_stride,
                  int64_t first_pos, int64_t row_begin, int64_t row_end, int d, float scale,
                  std::vector<float>& scores, float* o, int64_t o_stride) {
  const int64_t rows = row_end - row_begin;
  const int64_t keys = first_pos + row_end;  // the last row's keys; earlier rows mask the tail
  scores.resize(size_t(rows * keys));
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(rows), int(keys), d, 1.0f, q + row_begin * q_stride,
              int(q_stride), k, int(kv_stride), 0.0f, scores.data(), int(keys));
  for (int64_t r = 0; r < rows; ++r) {
    softmax_prefix(scores.data() + r * keys, first_pos + row_begin + r + 1, keys, scale);
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(rows), d, int(keys), 1.0f, scores.data(), int(keys), v,
              int(kv_stride), 0.0f, o + row_begin * o_stride, int(o_stride));
}

// Query rows per block: large enough for the products to run at OpenBLAS speed, small enough that
// the masked upper triangle of each block (wasted work) stays a small share of a long prompt.
constexpr int64_t kQueryBlock = 32;

}  // namespace

void CpuBackend::attention_impl(const Tensor& q, const Tensor& k_cache, const Tensor& v_cache,
                                int64_t first_pos, HeadShape shape, Tensor& out) {
  const int64_t T = q.rows();
  const int d = shape.head_dim;
  const int group = shape.heads / shape.kv_heads;
  const float scale = 1.0f / std::sqrt(float(d));
  if (T >= kQueryBlock) {
    const int64_t blocks = (T + kQueryBlock - 1) / kQueryBlock;
    ThreadPool::global().parallel_for(size_t(blocks * shape.heads), [&](size_t begin, size_t end) {
      std::vector<float> scores;
      for (size_t task = begin; task < end; ++task) {
        const int64_t block = int64_t(task) / shape.heads;
        const int h = int(int64_t(task) % shape.heads);
        const int kvh = h / group;
        attend_block(f32(q) + h * d, q.cols(), f32(k_cache) + kvh * d, f32(v_cache) + kvh * d, k_cache.cols(),
                     first_pos, block * kQueryBlock, std::min(T, (block + 1) * kQueryBlock), d, scale, scores,
                     f32(out) + h * d, out.cols());
      }
    });
    return;
  }
  const int64_t tasks = T * shape.heads;
  ThreadPool::global().parallel_for(size_t(tasks), [&](size_t begin, size_t end) {
    std::vector<float> weights;
    for (size_t task = begin; task < end; ++task) {
      const int64_t t = int64_t(task) / shape.heads;
      const int h = int(int64_t(task) % shape.heads);
      const int kvh = h / group;
      attend_row(f32(q) + t * q.cols() + h * d, f32(k_cache) + kvh * d, f32(v_cache) + kvh * d, k_cache.cols(),
                 first_pos + t + 1, d, scale, weights, f32(out) + t * out.cols() + h * d);
    }
  });
}

}  // namespace halo::backend
