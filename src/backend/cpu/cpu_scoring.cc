// Log-softmax + gather and argmax over logits rows. Scoring needs the probability of one token
// per row, so the normaliser is computed and nothing vocab-sized is kept.
#include <cmath>

#include "backend/cpu/cpu_backend.h"
#include "base/bf16.h"
#include "base/error.h"
#include "base/thread_pool.h"

namespace halo::backend {

namespace {

// log Σ exp(x - max) in double, so the fp32 result is correctly rounded.
template <typename Get>
double log_sum_exp_shifted(int64_t n, float max_value, Get get) {
  double total = 0;
  for (int64_t i = 0; i < n; ++i) total += std::exp(double(get(i)) - double(max_value));
  return std::log(total);
}

}  // namespace

std::vector<TokenScore> CpuBackend::score_targets(const Tensor& logits,
                                                  std::span<const int32_t> targets) {
  if (int64_t(targets.size()) != logits.rows()) fail("internal: score_targets row count");
  std::vector<TokenScore> scores(targets.size());
  const int64_t vocab = logits.cols();
  ThreadPool::global().parallel_for(targets.size(), [&](size_t begin, size_t end) {
    for (size_t r = begin; r < end; ++r) {
      const float* x = f32(logits) + int64_t(r) * vocab;
      const int32_t target = targets[r];
      if (target < 0 || target >= vocab) fail("token id {} is outside the vocabulary", target);
      float max_value = x[0], max_bf16 = round_to_bf16(x[0]);
      int64_t first_max = 0;
      for (int64_t i = 1; i < vocab; ++i) {
        if (x[i] > max_value) {
          max_value = x[i];
          first_max = i;
        }
        max_bf16 = std::max(max_bf16, round_to_bf16(x[i]));
      }
      double lse = log_sum_exp_shifted(vocab, max_value, [&](int64_t i) { return x[i]; });
      double lse_bf16 =
          log_sum_exp_shifted(vocab, max_bf16, [&](int64_t i) { return round_to_bf16(x[i]); });
      TokenScore& s = scores[r];
      s.logprob = float(double(x[target]) - double(max_value) - lse);
      // lm-eval's bf16 path: fp32 arithmetic on bf16 logits, result stored as bf16.
      s.logprob_bf16 = round_to_bf16(round_to_bf16(x[target]) - max_bf16 - float(lse_bf16));
      s.is_argmax = first_max == target;
    }
  });
  return scores;
}

std::vector<int32_t> CpuBackend::argmax(const Tensor& logits) {
  std::vector<int32_t> result(size_t(logits.rows()));
  for (int64_t r = 0; r < logits.rows(); ++r) {
    const float* x = f32(logits) + r * logits.cols();
    int64_t best = 0;
    for (int64_t i = 1; i < logits.cols(); ++i) {
      if (x[i] > x[best]) best = i;
    }
    result[size_t(r)] = int32_t(best);
  }
  return result;
}

}  // namespace halo::backend
