#include "runtime/variant_set_runner.h"

#include <fmt/format.h>

#include <algorithm>
#include <deque>

#include "base/error.h"
#include "runtime/decoder.h"
#include "runtime/greedy_decode.h"
#include "runtime/kept_residuals.h"
#include "runtime/sequence_state.h"
#include "runtime/token_scoring.h"

namespace halo::runtime {

using backend::Tensor;

namespace {

// Tokens of contexts and continuations per packed forward pass when scoring.
constexpr int64_t kScoreBatchTokens = 4096;
// Room reserved up front for generated tokens; the state grows when a generation runs longer, so a
// large budget (a generation_config max_new_tokens) costs memory only when used.
constexpr int kInitialNewTokens = 256;

int64_t request_tokens(const ScoreRequest& r) {
  int64_t n = int64_t(r.context.size());
  for (const auto& c : r.continuations) n += int64_t(c.size());
  return n;
}

}  // namespace

int64_t kept_bytes_per_prompt_token(const io::ModelConfig& config, int64_t activation_bytes) {
  const int64_t kv = int64_t(config.num_kv_heads) * config.head_dim;
  return activation_bytes * int64_t(config.num_layers) * (config.hidden_size + 2 * 2 * kv);
}

VariantSetRunner::VariantSetRunner(backend::Backend& backend, const model::Model& model,
                                   std::vector<model::Variant> variants)
    : backend_(backend), model_(model), variants_(std::move(variants)) {
  for (const model::Variant& v : variants_) {
    model_.check_variant(v);
    starts_.push_back(v.first_converted());
  }
}

std::string VariantSetRunner::describe(size_t variant) const {
  return fmt::format("{} ({} layers), {}", model_.model_dir().string(), model_.num_layers(),
                     variants_.at(variant).describe());
}

std::vector<std::vector<std::vector<ContinuationScore>>> VariantSetRunner::score(
    std::span<const size_t> which, std::span<const ScoreRequest> requests) {
  std::vector<std::vector<std::vector<ContinuationScore>>> results(
      which.size(), std::vector<std::vector<ContinuationScore>>(requests.size()));
  size_t begin = 0;
  while (begin < requests.size()) {
    size_t end = begin;
    int64_t tokens = 0;
    do {
      tokens += request_tokens(requests[end]);
      ++end;
    } while (end < requests.size() && tokens + request_tokens(requests[end]) <= kScoreBatchTokens);
    score_batch(which, requests.subspan(begin, end - begin), results, begin);
    begin = end;
  }
  return results;
}

void VariantSetRunner::score_batch(std::span<const size_t> which, std::span<const ScoreRequest> batch,
                                   std::vector<std::vector<std::vector<ContinuationScore>>>& out,
                                   size_t first_request) {
  Decoder decoder(backend_, model_);
  const int num_layers = model_.num_layers();
  std::vector<int> starts;
  for (size_t v : which) starts.push_back(starts_.at(v));
  const int base_end = starts.empty() ? 0 : *std::max_element(starts.begin(), starts.end());
  const model::Variant original = model::Variant::original(num_layers);

  // 1. Every context once, packed, through the original's layers [0, base_end).
  std::vector<int64_t> context_capacity, context_counts;
  std::vector<std::span<const int32_t>> context_tokens;
  for (const ScoreRequest& r : batch) {
    if (r.context.empty()) fail("internal: a scoring request needs a non-empty context");
    size_t longest = 0;
    for (const auto& c : r.continuations) longest = std::max(longest, c.size());
    context_capacity.push_back(int64_t(r.context.size() + longest));
    context_counts.push_back(int64_t(r.context.size()));
    context_tokens.push_back(r.context);
  }
  std::deque<SequenceState> base_contexts;
  std::vector<SequenceState*> base_context_states;
  for (size_t r = 0; r < batch.size(); ++r) {
    base_contexts.emplace_back(backend_, model_, original, context_capacity[r], 0, base_end);
    base_context_states.push_back(&base_contexts.back());
  }
  KeptResiduals context_kept(backend_, starts);
  Tensor x = decoder.embed(context_tokens);
  decoder.run_layers(base_context_states, context_counts, 0, base_end, x, context_kept.tap());
  context_kept.keep_end(base_end, std::move(x));

  // 2. Every continuation from a fork of its context; the model input is
  //    (context + continuation)[:-1] as in lm-eval, so the last token is only a target.
  ContinuationLayout layout = layout_continuations(batch);
  std::vector<std::span<const int32_t>> fork_tokens;
  std::vector<int64_t> fork_counts, fork_capacity;
  std::vector<size_t> fork_context;
  for (const auto& item : layout.items) {
    const auto& continuation = batch[item.request].continuations[item.choice];
    fork_tokens.push_back(std::span(continuation).first(continuation.size() - 1));
    fork_counts.push_back(int64_t(continuation.size()) - 1);
    fork_capacity.push_back(int64_t(batch[item.request].context.size() + continuation.size()));
    fork_context.push_back(item.request);
  }
  auto fork_all = [&](std::deque<SequenceState>& contexts, std::deque<SequenceState>& forks) {
    std::vector<SequenceState*> states;
    for (size_t f = 0; f < fork_context.size(); ++f) {
      forks.push_back(contexts[fork_context[f]].fork(fork_capacity[f]));
      states.push_back(&forks.back());
    }
    return states;
  };
  KeptResiduals continuation_kept(backend_, starts);
  {
    std::deque<SequenceState> base_forks;
    std::vector<SequenceState*> states = fork_all(base_contexts, base_forks);
    Tensor y = decoder.embed(fork_tokens);
    decoder.run_layers(states, fork_counts, 0, base_end, y, continuation_kept.tap());
    continuation_kept.keep_end(base_end, std::move(y));
  }
  base_contexts.clear();

  // 3. Every variant from its first converted layer; the original reads the base pass's output.
  for (size_t k = 0; k < which.size(); ++k) {
    const int start = starts[k];
    Tensor context_out, continuation_out;
    if (start == num_layers) {
      context_out = context_kept.at(start);
      continuation_out = continuation_kept.at(start);
    } else {
      const model::Variant& variant = variants_[which[k]];
      std::deque<SequenceState> contexts;
      std::vector<SequenceState*> context_states;
      for (size_t r = 0; r < batch.size(); ++r) {
        contexts.emplace_back(backend_, model_, variant, context_capacity[r], start, num_layers);
        context_states.push_back(&contexts.back());
      }
      context_out = context_kept.copy_at(start);
      decoder.run_layers(context_states, context_counts, start, num_layers, context_out);
      std::deque<SequenceState> forks;
      std::vector<SequenceState*> states = fork_all(contexts, forks);
      continuation_out = continuation_kept.copy_at(start);
      decoder.run_layers(states, fork_counts, start, num_layers, continuation_out);
    }
    collect_scores(backend_, decoder, batch, layout, context_out, continuation_out, out[k].data() + first_request);
  }
}

template <typename Decode>
std::vector<std::vector<int32_t>> VariantSetRunner::decode_named(size_t variant, Decode decode) {
  try {
    return decode();
  } catch (const NonFiniteLogits& e) {
    throw NonFiniteLogits(describe(variant) + ": " + e.what(), e.request);  // name the variant
  }
}

std::vector<std::vector<std::vector<int32_t>>> VariantSetRunner::generate(std::span<const size_t> which,
                                                                          std::span<const GenerateRequest> requests) {
  std::vector<std::vector<std::vector<int32_t>>> results(which.size(),
                                                         std::vector<std::vector<int32_t>>(requests.size()));
  const int num_layers = model_.num_layers();
  std::vector<size_t> active;  // requests that generate at all
  std::vector<int64_t> capacity, counts;
  std::vector<std::span<const int32_t>> prompts;
  for (size_t i = 0; i < requests.size(); ++i) {
    if (requests[i].prompt.empty()) fail("generation needs a non-empty prompt");
    if (requests[i].max_new_tokens <= 0) continue;
    active.push_back(i);
    capacity.push_back(int64_t(requests[i].prompt.size()) + std::clamp(requests[i].max_new_tokens, 0, kInitialNewTokens));
    counts.push_back(int64_t(requests[i].prompt.size()));
    prompts.push_back(requests[i].prompt);
  }
  if (active.empty() || which.empty()) return results;

  std::vector<int> starts;
  for (size_t v : which) starts.push_back(starts_.at(v));
  const int base_end = *std::max_element(starts.begin(), starts.end());
  Decoder decoder(backend_, model_);

  // 1. The prompts through the original's layers [0, base_end), keeping what the variants start from.
  std::deque<SequenceState> base;
  std::vector<SequenceState*> base_states;
  for (size_t a = 0; a < active.size(); ++a) {
    base.emplace_back(backend_, model_, model::Variant::original(num_layers), capacity[a], 0, base_end);
    base_states.push_back(&base.back());
  }
  KeptResiduals kept(backend_, starts);
  Tensor x = decoder.embed(prompts);
  decoder.run_layers(base_states, counts, 0, base_end, x, kept.tap());
  kept.keep_end(base_end, std::move(x));

  // 2. Every converted variant: the base pass's KV cache below its first converted layer, its own
  //    layers from there for the prompt, then its own decoding.
  for (size_t k = 0; k < which.size(); ++k) {
    const int start = starts[k];
    if (start == num_layers) continue;
    std::deque<SequenceState> own;
    std::vector<SequenceState*> own_states;
    std::vector<Tensor> src, dst;
    for (size_t a = 0; a < active.size(); ++a) {
      own.emplace_back(backend_, model_, variants_[which[k]], capacity[a]);
      own.back().append_copy_from(base[a], 0, start, src, dst);
      own_states.push_back(&own.back());
    }
    backend_.copy_many(src, dst);
    Tensor prefill = kept.copy_at(start);
    decoder.run_layers(own_states, counts, start, num_layers, prefill);
    results[k] = decode_named(which[k], [&] { return greedy_decode(backend_, decoder, own_states, requests, active, prefill); });
  }

  // 3. The original decodes on the base states themselves (they hold every layer when it is asked for).
  if (base_end == num_layers) {
    size_t original = 0;
    while (starts[original] != num_layers) ++original;
    std::vector<std::vector<int32_t>> generated = decode_named(
        which[original], [&] { return greedy_decode(backend_, decoder, base_states, requests, active, kept.at(num_layers)); });
    for (size_t k = 0; k < which.size(); ++k) {
      if (starts[k] == num_layers) results[k] = generated;
    }
  }
  return results;
}

}  // namespace halo::runtime
