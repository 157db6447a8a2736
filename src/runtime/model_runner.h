// Runs one variant of a loaded model as a LanguageModel: a VariantSetRunner of one variant (so
// `halo eval` and the sweep share one code path), plus whole-sequence log-probabilities for
// `halo score`. Scoring encodes each context once, forks its state for every continuation and runs
// all continuations of a batch side by side; generation decodes a batch of prompts in lockstep.
#pragma once

#include <span>
#include <vector>

#include "backend/backend.h"
#include "model/model.h"
#include "runtime/language_model.h"
#include "runtime/variant_set_runner.h"

namespace halo::runtime {

class ModelRunner final : public LanguageModel {
 public:
  ModelRunner(backend::Backend& backend, const model::Model& model, model::Variant variant);

  std::vector<std::vector<ContinuationScore>> score(std::span<const ScoreRequest> requests) override;
  std::vector<std::vector<int32_t>> generate(std::span<const GenerateRequest> requests) override;
  std::string describe() const override;

  // log p(tokens[i+1] | tokens[0..i]) for every i: one fewer entry than tokens.
  std::vector<backend::TokenScore> sequence_logprobs(std::span<const int32_t> tokens);

  const model::Variant& variant() const { return runner_.variant(0); }

 private:
  backend::Backend& backend_;
  const model::Model& model_;
  VariantSetRunner runner_;
};

}  // namespace halo::runtime
