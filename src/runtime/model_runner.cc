#include "runtime/model_runner.h"

#include "runtime/decoder.h"
#include "runtime/sequence_state.h"
#include "runtime/token_scoring.h"

namespace halo::runtime {

using backend::Tensor;

namespace {
constexpr size_t kOnlyVariant[] = {0};
}  // namespace

ModelRunner::ModelRunner(backend::Backend& backend, const model::Model& model, model::Variant variant)
    : backend_(backend), model_(model), runner_(backend, model, {std::move(variant)}) {}

std::string ModelRunner::describe() const { return runner_.describe(0); }

std::vector<std::vector<ContinuationScore>> ModelRunner::score(std::span<const ScoreRequest> requests) {
  return std::move(runner_.score(kOnlyVariant, requests)[0]);
}

std::vector<std::vector<int32_t>> ModelRunner::generate(std::span<const GenerateRequest> requests) {
  return std::move(runner_.generate(kOnlyVariant, requests)[0]);
}

std::vector<backend::TokenScore> ModelRunner::sequence_logprobs(std::span<const int32_t> tokens) {
  if (tokens.size() < 2) return {};
  SequenceState state(backend_, model_, variant(), int64_t(tokens.size()));
  Decoder decoder(backend_, model_);
  Tensor residual = decoder.forward(state, tokens.first(tokens.size() - 1));
  return score_rows(backend_, decoder, residual, tokens.subspan(1));
}

}  // namespace halo::runtime
