// Causal softmax attention with grouped KV heads, one (query row, head) pair per task; the dot
// products and the weighted sum of values run on 16-float vectors (cpu_simd.h).
#include <algorithm>
#include <cmath>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/cpu_simd.h"
#include "base/error.h"
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

}  // namespace

void CpuBackend::attention(const Tensor& q, const Tensor& k_cache, const Tensor& v_cache,
                           int64_t first_pos, HeadShape shape, Tensor& out) {
  const int64_t T = q.rows();
  const int d = shape.head_dim;
  const int group = shape.heads / shape.kv_heads;
  if (q.cols() != int64_t(shape.heads) * d || out.rows() != T || out.cols() != q.cols() ||
      k_cache.cols() != int64_t(shape.kv_heads) * d || first_pos + T > k_cache.rows()) {
    fail("internal: attention shapes");
  }
  const float scale = 1.0f / std::sqrt(float(d));
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
