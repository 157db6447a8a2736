// Causal softmax attention with grouped KV heads, one (query row, head) pair per task.
#include <algorithm>
#include <cmath>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "base/error.h"
#include "base/thread_pool.h"

namespace halo::backend {

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
      const int64_t keys = first_pos + t + 1;
      const float* qv = f32(q) + t * q.cols() + h * d;
      weights.resize(size_t(keys));
      float max_score = -INFINITY;
      for (int64_t s = 0; s < keys; ++s) {
        const float* kv = f32(k_cache) + s * k_cache.cols() + kvh * d;
        float dot = 0;
        for (int i = 0; i < d; ++i) dot += qv[i] * kv[i];
        weights[size_t(s)] = dot * scale;
        max_score = std::max(max_score, weights[size_t(s)]);
      }
      double total = 0;
      for (auto& w : weights) {
        w = std::exp(w - max_score);
        total += w;
      }
      float* o = f32(out) + t * out.cols() + h * d;
      std::fill(o, o + d, 0.0f);
      const float inv_total = float(1.0 / total);
      for (int64_t s = 0; s < keys; ++s) {
        const float* vv = f32(v_cache) + s * v_cache.cols() + kvh * d;
        const float w = weights[size_t(s)] * inv_total;
        for (int i = 0; i < d; ++i) o[i] += w * vv[i];
      }
    }
  });
}

}  // namespace halo::backend
