// Runs one variant of a loaded model as a LanguageModel: scoring with a shared context (the
// context is encoded once, each continuation is scored from a restore point) and greedy decoding.
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
  std::vector<ContinuationScore> score_one(const ScoreRequest& request);
  std::vector<int32_t> generate_one(const GenerateRequest& request);

  backend::Backend& backend_;
  const model::Model& model_;
  model::Variant variant_;
};

}  // namespace halo::runtime
