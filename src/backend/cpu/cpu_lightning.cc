// Lightning attention on the CPU, in both forms. Per head h with decay λ = exp(-slope_h):
//   S_t = λ S_{t-1} + k_tᵀ v_t,   o_t = scale · q_t S_t.
// The recurrent form walks tokens one by one (decoding). The chunked form handles C tokens at once:
// inside a chunk starting at s, o_t = scale · (λ^{t-s+1} q_t S_{s-1} + Σ_{s≤j≤t} λ^{t-j} (q_t·k_j) v_j),
// and the state jumps to S_e = λ^C S_{s-1} + Σ_j λ^{e-j} k_jᵀ v_j. Same numbers, far fewer state
// updates; this is the form the CUDA backend uses for prefill.
#include <cmath>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "base/thread_pool.h"

namespace halo::backend {

namespace {

// Runs fn(head) for every head on the pool.
template <typename Fn>
void for_heads(int heads, Fn fn) {
  ThreadPool::global().parallel_for(size_t(heads), [&](size_t b, size_t e) {
    for (size_t h = b; h < e; ++h) fn(int(h));
  });
}

}  // namespace

void lightning_recurrent(const Tensor& q, const Tensor& k, const Tensor& v, Tensor& state,
                         HeadShape shape, std::span<const float> slopes, float scale, Tensor& out) {
  const int d = shape.head_dim;
  const int group = shape.heads / shape.kv_heads;
  for_heads(shape.heads, [&](int h) {
    const float decay = std::exp(-slopes[size_t(h)]);
    float* S = f32(state) + int64_t(h) * d * d;
    const int kvh = h / group;
    for (int64_t t = 0; t < q.rows(); ++t) {
      const float* kt = f32(k) + t * k.cols() + kvh * d;
      const float* vt = f32(v) + t * v.cols() + kvh * d;
      const float* qt = f32(q) + t * q.cols() + h * d;
      for (int i = 0; i < d; ++i) {
        float* row = S + i * d;
        for (int j = 0; j < d; ++j) row[j] = decay * row[j] + kt[i] * vt[j];
      }
      float* o = f32(out) + t * out.cols() + h * d;
      for (int j = 0; j < d; ++j) o[j] = 0;
      for (int i = 0; i < d; ++i) {
        const float* row = S + i * d;
        for (int j = 0; j < d; ++j) o[j] += qt[i] * row[j];
      }
      for (int j = 0; j < d; ++j) o[j] *= scale;
    }
  });
}

void lightning_chunked(const Tensor& q, const Tensor& k, const Tensor& v, Tensor& state,
                       HeadShape shape, std::span<const float> slopes, float scale, Tensor& out,
                       int chunk_size) {
  const int d = shape.head_dim;
  const int group = shape.heads / shape.kv_heads;
  const int64_t T = q.rows();
  for_heads(shape.heads, [&](int h) {
    const float log_decay = -slopes[size_t(h)];
    float* S = f32(state) + int64_t(h) * d * d;
    const int kvh = h / group;
    std::vector<float> scores(static_cast<size_t>(chunk_size));
    std::vector<float> powers(static_cast<size_t>(chunk_size) + 1);  // λ^0 .. λ^C
    for (int i = 0; i <= chunk_size; ++i) powers[size_t(i)] = std::exp(log_decay * float(i));
    std::vector<float> new_state(size_t(d) * d);
    for (int64_t start = 0; start < T; start += chunk_size) {
      const int n = int(std::min<int64_t>(chunk_size, T - start));
      auto qrow = [&](int t) { return f32(q) + (start + t) * q.cols() + h * d; };
      auto krow = [&](int t) { return f32(k) + (start + t) * k.cols() + kvh * d; };
      auto vrow = [&](int t) { return f32(v) + (start + t) * v.cols() + kvh * d; };
      for (int t = 0; t < n; ++t) {
        const float* qt = qrow(t);
        float* o = f32(out) + (start + t) * out.cols() + h * d;
        // Inter-chunk part: λ^{t+1} q_t S.
        for (int j = 0; j < d; ++j) o[j] = 0;
        for (int i = 0; i < d; ++i) {
          const float* row = S + i * d;
          for (int j = 0; j < d; ++j) o[j] += qt[i] * row[j];
        }
        for (int j = 0; j < d; ++j) o[j] *= powers[size_t(t) + 1];
        // Intra-chunk part: Σ_{j≤t} λ^{t-j} (q_t·k_j) v_j.
        for (int s = 0; s <= t; ++s) {
          const float* ks = krow(s);
          float dot = 0;
          for (int i = 0; i < d; ++i) dot += qt[i] * ks[i];
          scores[size_t(s)] = dot * powers[size_t(t - s)];
        }
        for (int s = 0; s <= t; ++s) {
          const float* vs = vrow(s);
          const float w = scores[size_t(s)];
          for (int j = 0; j < d; ++j) o[j] += w * vs[j];
        }
        for (int j = 0; j < d; ++j) o[j] *= scale;
      }
      // State jump: S ← λ^n S + Σ_j λ^{n-1-j} k_jᵀ v_j.
      for (int i = 0; i < d * d; ++i) new_state[size_t(i)] = S[i] * powers[size_t(n)];
      for (int s = 0; s < n; ++s) {
        const float* ks = krow(s);
        const float* vs = vrow(s);
        const float w = powers[size_t(n - 1 - s)];
        for (int i = 0; i < d; ++i) {
          const float ki = ks[i] * w;
          float* row = new_state.data() + size_t(i) * d;
          for (int j = 0; j < d; ++j) row[j] += ki * vs[j];
        }
      }
      std::copy(new_state.begin(), new_state.end(), S);
    }
  });
}

void CpuBackend::lightning_impl(const Tensor& q, const Tensor& k, const Tensor& v, Tensor& state,
                                HeadShape shape, std::span<const float> slopes, float scale,
                                Tensor& out) {
  // One token (decoding) is a single recurrence step; longer inputs go through chunks.
  if (q.rows() <= 1) {
    lightning_recurrent(q, k, v, state, shape, slopes, scale, out);
  } else {
    lightning_chunked(q, k, v, state, shape, slopes, scale, out, 64);
  }
}

}  // namespace halo::backend
