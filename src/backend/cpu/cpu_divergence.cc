// KL divergence between two next-token distributions per row: the proxies of `halo probe` compare
// the original model's distribution with a hybrid's at every calibration position.
#include <cmath>

#include "backend/cpu/cpu_backend.h"
#include "base/thread_pool.h"

namespace halo::backend {

namespace {

// max and log Σ exp(x − max) of one row, in double.
std::pair<double, double> log_normaliser(const float* x, int64_t n) {
  double max_value = x[0];
  for (int64_t i = 1; i < n; ++i) max_value = std::max(max_value, double(x[i]));
  double total = 0;
  for (int64_t i = 0; i < n; ++i) total += std::exp(double(x[i]) - max_value);
  return {max_value, std::log(total)};
}

}  // namespace

std::vector<double> CpuBackend::kl_divergence_impl(const Tensor& p_logits, const Tensor& q_logits) {
  std::vector<double> out(size_t(p_logits.rows()));
  const int64_t vocab = p_logits.cols();
  if (vocab == 0) return out;
  ThreadPool::global().parallel_for(out.size(), [&](size_t begin, size_t end) {
    for (size_t r = begin; r < end; ++r) {
      const float* p = f32(p_logits) + int64_t(r) * vocab;
      const float* q = f32(q_logits) + int64_t(r) * vocab;
      auto [p_max, p_lse] = log_normaliser(p, vocab);
      auto [q_max, q_lse] = log_normaliser(q, vocab);
      double kl = 0;
      for (int64_t i = 0; i < vocab; ++i) {
        const double log_p = double(p[i]) - p_max - p_lse;
        const double log_q = double(q[i]) - q_max - q_lse;
        kl += std::exp(log_p) * (log_p - log_q);
      }
      out[r] = kl;
    }
  });
  return out;
}

}  // namespace halo::backend
