// The float64 reference backend (reference_backend.h): each op as its definition.
#include "reference_backend.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "base/bf16.h"

namespace halo::backend::testing {

namespace {

float* at(Tensor& t, int64_t row) { return static_cast<float*>(t.data()) + row * t.cols(); }
const float* at(const Tensor& t, int64_t row) { return static_cast<const float*>(t.data()) + row * t.cols(); }

bool row_is_finite(const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    if (!std::isfinite(x[i])) return false;
  }
  return true;
}

}  // namespace

Tensor ReferenceBackend::alloc_impl(int64_t rows, int64_t cols) {
  std::shared_ptr<float[]> storage(new float[size_t(std::max<int64_t>(rows * cols, 1))]());
  void* data = storage.get();
  return Tensor(std::shared_ptr<void>(storage, data), data, DType::f32, rows, cols);
}

Tensor ReferenceBackend::upload_impl(std::span<const float> values, int64_t rows, int64_t cols) {
  Tensor t = alloc_impl(rows, cols);
  if (!values.empty()) std::memcpy(t.data(), values.data(), values.size_bytes());
  return t;
}

std::vector<float> ReferenceBackend::download_impl(const Tensor& t) {
  const float* p = static_cast<const float*>(t.data());
  return std::vector<float>(p, p + t.numel());
}

void ReferenceBackend::copy_impl(const Tensor& src, Tensor& dst) {
  for (int64_t r = 0; r < src.rows(); ++r) {
    for (int64_t c = 0; c < src.cols(); ++c) at(dst, r)[c] = at(src, r)[c];
  }
}

void ReferenceBackend::linear_impl(const Tensor& x, const Tensor& w, Tensor& y) {
  for (int64_t m = 0; m < x.rows(); ++m) {
    for (int64_t n = 0; n < w.rows(); ++n) {
      double sum = 0;
      for (int64_t k = 0; k < x.cols(); ++k) sum += double(at(x, m)[k]) * at(w, n)[k];
      at(y, m)[n] = float(sum);
    }
  }
}

void ReferenceBackend::embedding_impl(std::span<const int32_t> ids, const Tensor& table, Tensor& out) {
  for (size_t t = 0; t < ids.size(); ++t) {
    for (int64_t c = 0; c < table.cols(); ++c) at(out, int64_t(t))[c] = at(table, ids[t])[c];
  }
}

void ReferenceBackend::rms_norm_impl(const Tensor& x, const Tensor& w, float eps, Tensor& y) {
  const int64_t group = w.cols();
  for (int64_t r = 0; r < x.rows(); ++r) {
    for (int64_t g = 0; g < x.cols(); g += group) {
      double squares = 0;
      for (int64_t i = 0; i < group; ++i) squares += double(at(x, r)[g + i]) * at(x, r)[g + i];
      const double inv = 1.0 / std::sqrt(squares / double(group) + double(eps));
      for (int64_t i = 0; i < group; ++i) at(y, r)[g + i] = float(double(at(w, 0)[i]) * at(x, r)[g + i] * inv);
    }
  }
}

void ReferenceBackend::add_impl(Tensor& x, const Tensor& delta) {
  for (int64_t r = 0; r < x.rows(); ++r) {
    for (int64_t c = 0; c < x.cols(); ++c) at(x, r)[c] = float(double(at(x, r)[c]) + at(delta, r)[c]);
  }
}

void ReferenceBackend::rope_impl(Tensor& x, int head_dim, std::span<const int64_t> positions,
                                 std::span<const float> inv_freq) {
  const int half = head_dim / 2;
  for (int64_t r = 0; r < x.rows(); ++r) {
    for (int64_t head = 0; head < x.cols(); head += head_dim) {
      float* v = at(x, r) + head;
      for (int i = 0; i < half; ++i) {
        const double angle = double(inv_freq[size_t(i)]) * double(positions[size_t(r)]);
        const double a = v[i], b = v[i + half];
        v[i] = float(a * std::cos(angle) - b * std::sin(angle));
        v[i + half] = float(b * std::cos(angle) + a * std::sin(angle));
      }
    }
  }
}

void ReferenceBackend::scale_rows_impl(Tensor& x, std::span<const float> factors) {
  for (int64_t r = 0; r < x.rows(); ++r) {
    for (int64_t c = 0; c < x.cols(); ++c) at(x, r)[c] = float(double(at(x, r)[c]) * factors[size_t(r)]);
  }
}

void ReferenceBackend::swiglu_impl(const Tensor& gate, const Tensor& up, Tensor& out) {
  for (int64_t r = 0; r < gate.rows(); ++r) {
    for (int64_t c = 0; c < gate.cols(); ++c) {
      const double g = at(gate, r)[c];
      at(out, r)[c] = float(g / (1.0 + std::exp(-g)) * at(up, r)[c]);
    }
  }
}

void ReferenceBackend::sigmoid_mul_impl(Tensor& x, const Tensor& gate) {
  for (int64_t r = 0; r < x.rows(); ++r) {
    for (int64_t c = 0; c < x.cols(); ++c) {
      at(x, r)[c] = float(double(at(x, r)[c]) / (1.0 + std::exp(-double(at(gate, r)[c]))));
    }
  }
}

void ReferenceBackend::attention_impl(const Tensor& q, const Tensor& k_cache, const Tensor& v_cache,
                                      int64_t first_pos, HeadShape shape, Tensor& out) {
  const int d = shape.head_dim;
  const int group = shape.heads / shape.kv_heads;
  const double scale = 1.0 / std::sqrt(double(d));
  for (int64_t t = 0; t < q.rows(); ++t) {
    const int64_t keys = first_pos + t + 1;  // causal: this row sees cache rows [0, its position]
    for (int h = 0; h < shape.heads; ++h) {
      const float* qh = at(q, t) + h * d;
      const int64_t kv_offset = int64_t(h / group) * d;
      std::vector<double> scores(static_cast<size_t>(keys));
      double most = -std::numeric_limits<double>::infinity();
      for (int64_t j = 0; j < keys; ++j) {
        double dot = 0;
        for (int i = 0; i < d; ++i) dot += double(qh[i]) * at(k_cache, j)[kv_offset + i];
        scores[size_t(j)] = dot * scale;
        most = std::max(most, scores[size_t(j)]);
      }
      double total = 0;
      for (double& s : scores) total += (s = std::exp(s - most));
      for (int i = 0; i < d; ++i) {
        double sum = 0;
        for (int64_t j = 0; j < keys; ++j) sum += scores[size_t(j)] * at(v_cache, j)[kv_offset + i];
        at(out, t)[h * d + i] = float(sum / total);
      }
    }
  }
}

void ReferenceBackend::lightning_impl(const Tensor& q, const Tensor& k, const Tensor& v, Tensor& state,
                                      HeadShape shape, std::span<const float> slopes, float scale, Tensor& out) {
  const int d = shape.head_dim;
  const int group = shape.heads / shape.kv_heads;
  for (int h = 0; h < shape.heads; ++h) {
    // S[i][j], i over key dims, j over value dims, kept in double across the rows.
    float* stored = at(state, h);
    std::vector<double> S(stored, stored + int64_t(d) * d);
    const double decay = std::exp(-double(slopes[size_t(h)]));
    const int64_t kv_offset = int64_t(h / group) * d;
    for (int64_t t = 0; t < q.rows(); ++t) {
      for (int i = 0; i < d; ++i) {
        for (int j = 0; j < d; ++j) {
          S[size_t(i * d + j)] = decay * S[size_t(i * d + j)] + double(at(k, t)[kv_offset + i]) * at(v, t)[kv_offset + j];
        }
      }
      for (int j = 0; j < d; ++j) {
        double sum = 0;
        for (int i = 0; i < d; ++i) sum += double(at(q, t)[h * d + i]) * S[size_t(i * d + j)];
        at(out, t)[h * d + j] = float(scale * sum);
      }
    }
    for (size_t i = 0; i < S.size(); ++i) stored[i] = float(S[i]);
  }
}

std::vector<TokenScore> ReferenceBackend::score_targets_impl(const Tensor& logits, std::span<const int32_t> targets) {
  std::vector<TokenScore> scores(targets.size());
  const int64_t vocab = logits.cols();
  for (int64_t r = 0; r < logits.rows(); ++r) {
    const float* x = at(logits, r);
    const int32_t target = targets[size_t(r)];
    if (!row_is_finite(x, vocab)) {
      scores[size_t(r)] = {NAN, NAN, false};
      continue;
    }
    double most = x[0], most_bf16 = round_to_bf16(x[0]);
    int64_t first_max = 0;
    for (int64_t i = 1; i < vocab; ++i) {
      if (x[i] > most) most = x[i], first_max = i;
      most_bf16 = std::max(most_bf16, double(round_to_bf16(x[i])));
    }
    double sum = 0, sum_bf16 = 0;
    for (int64_t i = 0; i < vocab; ++i) {
      sum += std::exp(double(x[i]) - most);
      sum_bf16 += std::exp(double(round_to_bf16(x[i])) - most_bf16);
    }
    TokenScore& s = scores[size_t(r)];
    s.logprob = float(double(x[target]) - most - std::log(sum));
    // The bf16 path (lm-eval on a bf16 model): log-softmax of the bf16-rounded logits, stored as bf16.
    s.logprob_bf16 = round_to_bf16(float(double(round_to_bf16(x[target])) - most_bf16 - std::log(sum_bf16)));
    s.is_argmax = first_max == target;
  }
  return scores;
}

std::vector<int32_t> ReferenceBackend::argmax_impl(const Tensor& logits, LogitRounding rounding) {
  std::vector<int32_t> result(size_t(logits.rows()));
  for (int64_t r = 0; r < logits.rows(); ++r) {
    const float* x = at(logits, r);
    if (!row_is_finite(x, logits.cols())) {
      result[size_t(r)] = kNonFiniteRow;
      continue;
    }
    auto value = [&](int64_t i) { return rounding == LogitRounding::bf16 ? round_to_bf16(x[i]) : x[i]; };
    int64_t best = 0;
    for (int64_t i = 1; i < logits.cols(); ++i) {
      if (value(i) > value(best)) best = i;  // strictly greater: a tie keeps the lowest id
    }
    result[size_t(r)] = int32_t(best);
  }
  return result;
}

std::vector<double> ReferenceBackend::kl_divergence_impl(const Tensor& p_logits, const Tensor& q_logits) {
  std::vector<double> result(size_t(p_logits.rows()));
  const int64_t vocab = p_logits.cols();
  for (int64_t r = 0; r < p_logits.rows(); ++r) {
    const float* p = at(p_logits, r);
    const float* q = at(q_logits, r);
    double p_max = p[0], q_max = q[0];
    for (int64_t i = 1; i < vocab; ++i) p_max = std::max(p_max, double(p[i])), q_max = std::max(q_max, double(q[i]));
    double p_sum = 0, q_sum = 0;
    for (int64_t i = 0; i < vocab; ++i) p_sum += std::exp(p[i] - p_max), q_sum += std::exp(q[i] - q_max);
    const double p_norm = p_max + std::log(p_sum), q_norm = q_max + std::log(q_sum);
    double kl = 0;
    for (int64_t i = 0; i < vocab; ++i) {
      const double log_p = p[i] - p_norm, log_q = q[i] - q_norm;
      kl += std::exp(log_p) * (log_p - log_q);
    }
    result[size_t(r)] = kl;
  }
  return result;
}

}  // namespace halo::backend::testing
