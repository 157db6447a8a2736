// Runs one variant of a loaded model as a LanguageModel. Scoring encodes each context once,
// forks its state for every continuation and runs all continuations of a batch side by side;
// generation decodes a batch of prompts in lockstep. Only the rows that predict a scored token
// go through the LM head (Backend::score_head), so no [tokens × vocab] matrix is ever whole.
#pragma once

#include <span>
#include <vector>

#include "backend/backend.h"
#include "model/model.h"
#include "runtime/language_model.h"

namespace halo::runtime {

class ModelRunner final : public LanguageModel {
 public:
  ModelRunner(backend::Backend& backend, const model::Model& model, model::Variant variant);

  std::vector<std::vector<ContinuationScore>> score(std::span<const ScoreRequest> requests) override;
  std::vector<std::vector<int32_t>> generate(std::span<const GenerateRequest> requests) override;
  std::string describe() const override;

  // log p(tokens[i+1] | tokens[0..i]) for every i: one fewer entry than tokens.
  std::vector<backend::TokenScore> sequence_logprobs(std::span<const int32_t> tokens);

  const model::Variant& variant() const { return variant_; }

 private:
  void score_batch(std::span<const ScoreRequest> batch, std::vector<ContinuationScore>* out);
  // The greedy token of logits row a for requests[active[a]], under that request's rounding;
  // kNonFiniteRow where the row is not finite.
  std::vector<int32_t> greedy_tokens(const backend::Tensor& logits, std::span<const GenerateRequest> requests,
                                     std::span<const size_t> active);
  // Scores of `rows` (residual rows) against `targets` through the LM head.
  std::vector<backend::TokenScore> score_rows(const backend::Tensor& rows, std::span<const int32_t> targets);

  backend::Backend& backend_;
  const model::Model& model_;
  model::Variant variant_;
};

}  // namespace halo::runtime
