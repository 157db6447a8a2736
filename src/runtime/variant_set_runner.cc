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

// kScorePassTokens: a 64-document hellaswag batch (≈ 12k tokens) fits one pass; on a GPU, 4,096
// cut it into three passes of smaller, less efficient products (the sweep's commonsense phase ran
// 10% longer). set_scoring_memory() bounds what a pass keeps where memory is short.

int64_t request_tokens(const ScoreRequest& r) {
  int64_t n = int64_t(r.context.size());
  for (const auto& c : r.continuations) n += int64_t(c.size());
  return n;
}

}  // namespace

int64_t kept_bytes_per_prompt_token(const io::ModelConfig& config, int64_t activation_bytes) {
  const int64_t kv = int64_t(config.num_kv_heads) * config.head_dim;
  return activation_bytes * (int64_t(config.num_layers) * 2 * kv + 2 * int64_t(config.hidden_size));
}

int64_t scoring_bytes(const io::ModelConfig& config, int64_t activation_bytes, const ScoreRequest& request,
                      int64_t residual_copies) {
  const int64_t kv = int64_t(config.num_layers) * 2 * config.num_kv_heads * config.head_dim;
  const int64_t context = int64_t(request.context.size());
  int64_t rows = context, cached = context;
  for (const auto& c : request.continuations) {
    rows += int64_t(c.size());
    cached += context + int64_t(c.size());
  }
  return activation_bytes * (cached * kv + rows * residual_copies * int64_t(config.hidden_size));
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
  // What a pass keeps per request, when memory is capped: the residual at each distinct start (and
  // the base pass's end) is kept for every token.
  std::vector<int> distinct;
  for (size_t v : which) distinct.push_back(starts_.at(v));
  std::sort(distinct.begin(), distinct.end());
  const int64_t residual_copies = int64_t(std::unique(distinct.begin(), distinct.end()) - distinct.begin()) + 1;
  const int64_t activation_bytes = backend_.activation_dtype() == backend::DType::bf16 ? 2 : 4;
  auto bytes = [&](const ScoreRequest& r) {
    return scoring_memory_ > 0 ? scoring_bytes(model_.config(), activation_bytes, r, residual_copies) : 0;
  };
  size_t begin = 0;
  while (begin < requests.size()) {
    size_t end = begin;
    int64_t tokens = 0, kept = 0;
    do {
      tokens += request_tokens(requests[end]);
      kept += bytes(requests[end]);
      ++end;
    } while (end < requests.size() && tokens + request_tokens(requests[end]) <= kScorePassTokens &&
             (scoring_memory_ <= 0 || kept + bytes(requests[end]) <= scoring_memory_));
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
    // Room for the whole budget up front: the variants borrow these caches, and a borrower that grew
    // would hold a private copy beside them, beyond what the batch plan counted (the plan counts
    // prompt + budget tokens per request, eval::plan_batches).
    capacity.push_back(int64_t(requests[i].prompt.size()) + requests[i].max_new_tokens);
    counts.push_back(int64_t(requests[i].prompt.size()));
    prompts.push_back(requests[i].prompt);
  }
  if (active.empty() || which.empty()) return results;

  Decoder decoder(backend_, model_);
  // Variants in order of their first converted layer: the base pass (the original model over the
  // prompts) advances layer by layer, and each variant starts from its residual where it is.
  std::vector<size_t> order(which.size());
  for (size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return starts_.at(which[a]) < starts_.at(which[b]); });

  // The base states hold every layer's cache, whether or not the base pass reaches it: a variant
  // borrows them all (SequenceState::borrowing), so a batch keeps one KV cache of the model, not
  // two, and one residual (the pass's) beside the copy the current variant runs on.
  std::deque<SequenceState> base;
  std::vector<SequenceState*> base_states;
  for (size_t a = 0; a < active.size(); ++a) {
    base.emplace_back(backend_, model_, model::Variant::original(num_layers), capacity[a]);
    base_states.push_back(&base.back());
  }
  Tensor x = decoder.embed(prompts);  // the base pass's residual at layer `at`'s input
  int at = 0;
  for (size_t k : order) {
    const int start = starts_.at(which[k]);
    if (start == num_layers) continue;  // the original decodes last, on the base states
    // The base states stay at length 0 until the pass is whole: every partial pass runs the
    // prompts at positions 0.. (Decoder::run_layers' advance).
    decoder.run_layers(base_states, counts, at, start, x, {}, /*advance=*/false);
    at = start;
    std::deque<SequenceState> own;
    std::vector<SequenceState*> own_states;
    for (size_t a = 0; a < active.size(); ++a) {
      own.push_back(SequenceState::borrowing(base[a], variants_[which[k]]));
      own_states.push_back(&own.back());
    }
    Tensor prefill = backend_.alloc(x.rows(), x.cols());
    backend_.copy(x, prefill);
    // The prompt's layers below `start` are the base pass's; the variant's own prefill starts there.
    // Its attention layers from `start` up write into the base caches the base pass has not reached.
    decoder.run_layers(own_states, counts, start, num_layers, prefill);
    results[k] = decode_named(which[k], [&] { return greedy_decode(backend_, decoder, own_states, requests, active, prefill); });
  }

  // The original: the base pass to the end, then its own decoding on the base states.
  const auto original = std::find_if(which.begin(), which.end(), [&](size_t v) { return starts_.at(v) == num_layers; });
  if (original != which.end()) {
    decoder.run_layers(base_states, counts, at, num_layers, x);  // the last pass advances the states
    std::vector<std::vector<int32_t>> generated =
        decode_named(*original, [&] { return greedy_decode(backend_, decoder, base_states, requests, active, x); });
    for (size_t k = 0; k < which.size(); ++k) {
      if (starts_.at(which[k]) == num_layers) results[k] = generated;
    }
  }
  return results;
}

}  // namespace halo::runtime
