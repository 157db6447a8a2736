#include "runtime/model_runner.h"

#include <fmt/format.h>

#include <algorithm>
#include <deque>

#include "base/error.h"
#include "runtime/decoder.h"
#include "runtime/sequence_state.h"

namespace halo::runtime {

using backend::Tensor;

namespace {

// Tokens of contexts and continuations per packed forward pass when scoring.
constexpr int64_t kScoreBatchTokens = 4096;

int64_t request_tokens(const ScoreRequest& r) {
  int64_t n = int64_t(r.context.size());
  for (const auto& c : r.continuations) n += int64_t(c.size());
  return n;
}

}  // namespace

ModelRunner::ModelRunner(backend::Backend& backend, const model::Model& model, model::Variant variant)
    : backend_(backend), model_(model), variant_(std::move(variant)) {
  model_.check_variant(variant_);
}

std::string ModelRunner::describe() const {
  return fmt::format("{} ({} layers), {}", model_.model_dir().string(), model_.num_layers(),
                     variant_.describe());
}

std::vector<backend::TokenScore> ModelRunner::score_rows(const Tensor& rows, std::span<const int32_t> targets) {
  return Decoder(backend_, model_).score(rows, targets);
}

std::vector<backend::TokenScore> ModelRunner::sequence_logprobs(std::span<const int32_t> tokens) {
  if (tokens.size() < 2) return {};
  SequenceState state(backend_, model_, variant_, int64_t(tokens.size()));
  Decoder decoder(backend_, model_);
  Tensor residual = decoder.forward(state, tokens.first(tokens.size() - 1));
  return score_rows(residual, tokens.subspan(1));
}

std::vector<std::vector<ContinuationScore>> ModelRunner::score(std::span<const ScoreRequest> requests) {
  std::vector<std::vector<ContinuationScore>> results(requests.size());
  size_t begin = 0;
  while (begin < requests.size()) {
    size_t end = begin;
    int64_t tokens = 0;
    do {
      tokens += request_tokens(requests[end]);
      ++end;
    } while (end < requests.size() && tokens + request_tokens(requests[end]) <= kScoreBatchTokens);
    score_batch(requests.subspan(begin, end - begin), results.data() + begin);
    begin = end;
  }
  return results;
}

void ModelRunner::score_batch(std::span<const ScoreRequest> batch, std::vector<ContinuationScore>* out) {
  Decoder decoder(backend_, model_);
  // 1. Every context once, packed.
  std::deque<SequenceState> contexts;
  std::vector<SequenceState*> context_states;
  std::vector<std::span<const int32_t>> context_tokens;
  for (const ScoreRequest& r : batch) {
    if (r.context.empty()) fail("internal: a scoring request needs a non-empty context");
    size_t longest = 0;
    for (const auto& c : r.continuations) longest = std::max(longest, c.size());
    contexts.emplace_back(backend_, model_, variant_, int64_t(r.context.size() + longest));
    context_states.push_back(&contexts.back());
    context_tokens.push_back(r.context);
  }
  Tensor context_out = decoder.forward(context_states, context_tokens);

  // 2. Every continuation from a fork of its context; the model input is
  //    (context + continuation)[:-1] as in lm-eval, so the last token is only a target.
  struct Item {
    size_t request, choice;
    int64_t context_last_row;  // row of context_out that predicts the first token
    int64_t first_row;         // first row of this continuation in continuation_out
  };
  std::vector<Item> items;
  std::deque<SequenceState> forks;
  std::vector<SequenceState*> fork_states;
  std::vector<std::span<const int32_t>> fork_tokens;
  int64_t context_row = 0, continuation_row = 0;
  for (size_t r = 0; r < batch.size(); ++r) {
    context_row += int64_t(batch[r].context.size());
    out[r].resize(batch[r].continuations.size());
    for (size_t c = 0; c < batch[r].continuations.size(); ++c) {
      const auto& continuation = batch[r].continuations[c];
      if (continuation.empty()) {
        out[r][c].is_greedy = true;
        continue;
      }
      items.push_back({r, c, context_row - 1, continuation_row});
      forks.push_back(contexts[r].fork(int64_t(batch[r].context.size() + continuation.size())));
      fork_states.push_back(&forks.back());
      fork_tokens.push_back(std::span(continuation).first(continuation.size() - 1));
      continuation_row += int64_t(continuation.size()) - 1;
    }
  }
  Tensor continuation_out = decoder.forward(fork_states, fork_tokens);

  // 3. Gather the rows that predict scored tokens and score them together.
  int64_t scored = 0;
  for (const Item& item : items) scored += int64_t(batch[item.request].continuations[item.choice].size());
  Tensor rows = backend_.alloc(scored, context_out.cols());
  std::vector<int32_t> targets;
  targets.reserve(size_t(scored));
  int64_t row = 0;
  for (const Item& item : items) {
    const auto& continuation = batch[item.request].continuations[item.choice];
    Tensor first = rows.rows_view(row, 1);
    backend_.copy(context_out.rows_view(item.context_last_row, 1), first);
    const int64_t rest = int64_t(continuation.size()) - 1;
    if (rest > 0) {
      Tensor dst = rows.rows_view(row + 1, rest);
      backend_.copy(continuation_out.rows_view(item.first_row, rest), dst);
    }
    targets.insert(targets.end(), continuation.begin(), continuation.end());
    row += int64_t(continuation.size());
  }
  std::vector<backend::TokenScore> scores = score_rows(rows, targets);
  size_t next = 0;
  for (const Item& item : items) {
    ContinuationScore& result = out[item.request][item.choice];
    result.is_greedy = true;
    for (size_t i = 0; i < batch[item.request].continuations[item.choice].size(); ++i) {
      const backend::TokenScore& s = scores[next++];
      result.token_logprobs.push_back(s.logprob);
      result.token_logprobs_bf16.push_back(s.logprob_bf16);
      result.is_greedy = result.is_greedy && s.is_argmax;
    }
  }
}

std::vector<int32_t> ModelRunner::greedy_tokens(const Tensor& logits, std::span<const GenerateRequest> requests,
                                               std::span<const size_t> active) {
  // One argmax per rounding the active requests ask for (a batch normally shares one).
  std::vector<int32_t> next(active.size()), by_rounding;
  for (auto rounding : {backend::LogitRounding::none, backend::LogitRounding::bf16}) {
    bool wanted = false;
    for (size_t i : active) wanted = wanted || requests[i].rounding == rounding;
    if (!wanted) continue;
    by_rounding = backend_.argmax(logits, rounding);
    for (size_t a = 0; a < active.size(); ++a) {
      if (requests[active[a]].rounding == rounding) next[a] = by_rounding[a];
    }
  }
  return next;
}

std::vector<std::vector<int32_t>> ModelRunner::generate(std::span<const GenerateRequest> requests) {
  std::vector<std::vector<int32_t>> generated(requests.size());
  Decoder decoder(backend_, model_);
  std::deque<SequenceState> states;
  std::vector<size_t> active;  // requests still generating
  std::vector<SequenceState*> active_states;
  std::vector<std::span<const int32_t>> inputs;
  for (size_t i = 0; i < requests.size(); ++i) {
    if (requests[i].prompt.empty()) fail("generation needs a non-empty prompt");
    // Room for the prompt and the first tokens; the decoder grows the state when a generation runs
    // longer, so a large budget (a generation_config max_new_tokens) costs memory only when used.
    constexpr int kInitialNewTokens = 256;
    states.emplace_back(backend_, model_, variant_,
                        int64_t(requests[i].prompt.size()) +
                            std::clamp(requests[i].max_new_tokens, 0, kInitialNewTokens));
    if (requests[i].max_new_tokens <= 0) continue;
    active.push_back(i);
    active_states.push_back(&states.back());
    inputs.push_back(requests[i].prompt);
  }
  size_t failed = requests.size();  // the lowest request whose logits were not finite
  // Prefill packs the prompts; each later step packs one new token per active sequence.
  while (!active.empty()) {
    Tensor out = decoder.forward(active_states, inputs);
    Tensor last_rows = backend_.alloc(int64_t(active.size()), out.cols());
    int64_t end = 0;
    for (size_t a = 0; a < active.size(); ++a) {
      end += int64_t(inputs[a].size());
      Tensor dst = last_rows.rows_view(int64_t(a), 1);
      backend_.copy(out.rows_view(end - 1, 1), dst);
    }
    std::vector<int32_t> next = greedy_tokens(decoder.logits(last_rows), requests, active);
    std::vector<size_t> still;
    std::vector<SequenceState*> still_states;
    for (size_t a = 0; a < active.size(); ++a) {
      const GenerateRequest& request = requests[active[a]];
      if (next[a] == backend::kNonFiniteRow) {
        failed = std::min(failed, active[a]);
        continue;
      }
      std::vector<int32_t>& tokens = generated[active[a]];
      tokens.push_back(next[a]);
      bool stop = std::find(request.stop_token_ids.begin(), request.stop_token_ids.end(), next[a]) !=
                      request.stop_token_ids.end() ||
                  int(tokens.size()) >= request.max_new_tokens ||
                  (request.should_stop && request.should_stop(tokens));
      if (!stop) {
        still.push_back(active[a]);
        still_states.push_back(active_states[a]);
      }
    }
    active = std::move(still);
    active_states = std::move(still_states);
    inputs.clear();
    for (size_t i : active) inputs.push_back(std::span(&generated[i].back(), 1));
  }
  if (failed < requests.size()) {
    throw NonFiniteLogits(fmt::format("{}: generation request {}: the logits hold a NaN or an infinity "
                                      "(non-finite weights? `halo info --check-weights` finds them)",
                                      describe(), failed),
                          failed);
  }
  return generated;
}

}  // namespace halo::runtime
