#include "runtime/model_runner.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/error.h"
#include "runtime/decoder.h"
#include "runtime/sequence_state.h"

namespace halo::runtime {

using backend::Tensor;

ModelRunner::ModelRunner(backend::Backend& backend, const model::Model& model, model::Variant variant)
    : backend_(backend), model_(model), variant_(std::move(variant)) {
  model_.check_variant(variant_);
}

std::string ModelRunner::describe() const {
  return fmt::format("{} ({} layers), {}", model_.model_dir().string(), model_.num_layers(),
                     variant_.describe());
}

std::vector<backend::TokenScore> ModelRunner::sequence_logprobs(std::span<const int32_t> tokens) {
  if (tokens.size() < 2) return {};
  SequenceState state(backend_, model_, variant_, int64_t(tokens.size()));
  Decoder decoder(backend_, model_);
  Tensor residual = decoder.forward(state, tokens.first(tokens.size() - 1));
  Tensor logits = decoder.logits(residual);
  return backend_.score_targets(logits, tokens.subspan(1));
}

std::vector<std::vector<ContinuationScore>> ModelRunner::score(std::span<const ScoreRequest> requests) {
  std::vector<std::vector<ContinuationScore>> results;
  results.reserve(requests.size());
  for (const ScoreRequest& request : requests) results.push_back(score_one(request));
  return results;
}

std::vector<ContinuationScore> ModelRunner::score_one(const ScoreRequest& request) {
  if (request.context.empty()) fail("internal: a scoring request needs a non-empty context");
  size_t longest = 0;
  for (const auto& c : request.continuations) longest = std::max(longest, c.size());
  SequenceState state(backend_, model_, variant_, int64_t(request.context.size() + longest));
  Decoder decoder(backend_, model_);
  Tensor context_out = decoder.forward(state, request.context);
  // The last context position predicts every continuation's first token.
  Tensor last = context_out.rows_view(context_out.rows() - 1, 1);
  const SequenceState::Checkpoint after_context = state.save();

  std::vector<ContinuationScore> scores;
  for (const auto& continuation : request.continuations) {
    ContinuationScore result;
    if (continuation.empty()) {
      result.is_greedy = true;
      scores.push_back(result);
      continue;
    }
    state.restore(after_context);
    // Rows that predict the continuation: the context's last row, then all but the last
    // continuation token (the model input is (context + continuation)[:-1], as in lm-eval).
    Tensor rows = backend_.alloc(int64_t(continuation.size()), last.cols());
    Tensor first_row = rows.rows_view(0, 1);
    backend_.copy(last, first_row);
    if (continuation.size() > 1) {
      Tensor out = decoder.forward(state, std::span(continuation).first(continuation.size() - 1));
      Tensor rest = rows.rows_view(1, out.rows());
      backend_.copy(out, rest);
    }
    std::vector<backend::TokenScore> token_scores =
        backend_.score_targets(decoder.logits(rows), continuation);
    result.is_greedy = true;
    for (const auto& s : token_scores) {
      result.token_logprobs.push_back(s.logprob);
      result.token_logprobs_bf16.push_back(s.logprob_bf16);
      result.is_greedy = result.is_greedy && s.is_argmax;
    }
    scores.push_back(std::move(result));
  }
  return scores;
}

std::vector<std::vector<int32_t>> ModelRunner::generate(std::span<const GenerateRequest> requests) {
  std::vector<std::vector<int32_t>> results;
  results.reserve(requests.size());
  for (const GenerateRequest& request : requests) results.push_back(generate_one(request));
  return results;
}

std::vector<int32_t> ModelRunner::generate_one(const GenerateRequest& request) {
  if (request.prompt.empty()) fail("generation needs a non-empty prompt");
  std::vector<int32_t> generated;
  if (request.max_new_tokens <= 0) return generated;
  SequenceState state(backend_, model_, variant_,
                      int64_t(request.prompt.size()) + request.max_new_tokens);
  Decoder decoder(backend_, model_);
  Tensor out = decoder.forward(state, request.prompt);
  for (;;) {
    Tensor last = out.rows_view(out.rows() - 1, 1);
    int32_t next = backend_.argmax(decoder.logits(last))[0];
    generated.push_back(next);
    bool stop_token = std::find(request.stop_token_ids.begin(), request.stop_token_ids.end(), next) !=
                      request.stop_token_ids.end();
    if (stop_token || int(generated.size()) >= request.max_new_tokens) break;
    if (request.should_stop && request.should_stop(generated)) break;
    out = decoder.forward(state, std::span(&generated.back(), 1));
  }
  return generated;
}

}  // namespace halo::runtime
