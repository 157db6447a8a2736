// The raw sums behind `halo probe`'s per-layer proxy scores, computed on the same prefix-reusing
// passes as the sweep (runtime/variant_set_runner.h): for a batch of token sequences the original
// model runs once, keeping the residual stream at every layer input, and each variant starts from
// its first converted layer. At every compared position (row t predicts token t+1) it adds up
//   - KL(original ‖ variant) of the two next-token distributions,
//   - −log p(next token) under the variant and under the original (NLL of the gold tokens),
// and, for the original alone, over every row of the batch, cos(h_l, h_{l+1}) between the residual
// stream before and after each layer l (block influence = 1 − its mean).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "backend/backend.h"
#include "model/model.h"

namespace halo::runtime {

struct ProbeSequence {
  std::vector<int32_t> tokens;
  // Rows [first_compared, tokens.size() − 1) are compared (each predicts the token after it): 0 for
  // generic text, len(prompt) − 1 for a prompt followed by its gold answer.
  int64_t first_compared = 0;
};

struct ProbeSums {
  std::vector<double> kl;                  // per variant: Σ KL(original ‖ variant)
  std::vector<double> nll;                 // per variant: Σ −log p_variant(next token)
  double nll_original = 0;                 // Σ −log p_original(next token)
  int64_t compared = 0;                    // compared rows
  std::vector<double> cosine;              // per layer l: Σ over all rows of cos(h_l, h_{l+1})
  int64_t rows = 0;                        // all rows (block influence's count)

  void add(const ProbeSums& other);
};

class LayerProbe {
 public:
  LayerProbe(backend::Backend& backend, const model::Model& model, std::vector<model::Variant> variants);

  // One packed batch. `block_influence` adds the cosine sums (one download of the residual stream
  // per layer; only generic text needs it). `bf16_logprobs`: the NLL sums take lm-eval's bf16
  // rounding of each log-probability (TokenScore::logprob_bf16) instead of the fp32 value; the KL
  // always compares the fp32 logits.
  ProbeSums run(std::span<const ProbeSequence> batch, bool block_influence, bool bf16_logprobs = false);

  size_t size() const { return variants_.size(); }

 private:
  backend::Backend& backend_;
  const model::Model& model_;
  std::vector<model::Variant> variants_;
  std::vector<int> starts_;
};

}  // namespace halo::runtime
