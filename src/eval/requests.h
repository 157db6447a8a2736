// Strings → token requests exactly as lm-eval's HF backend builds them: the log-likelihood split of
// docs/lm-eval-rules.md §0.3 and the generation stop rules of docs/lm-eval-rules.md §0.4.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "eval/codec.h"
#include "runtime/language_model.h"

namespace halo::eval {

// One multiple-choice document as token ids, plus the strings after the whitespace move.
struct BuiltScoreRequest {
  runtime::ScoreRequest request;           // the context and every continuation, as encoded
  std::string context;                     // context with trailing whitespace removed
  std::vector<std::string> continuations;  // continuations with that whitespace prepended
  // Set only when the context and some continuation are longer than the model's maximum length
  // + 1: one request per continuation whose context is cut from the left so that the model sees
  // at most max_length tokens, as lm-eval's HF backend does (see left_truncate_score_request).
  std::vector<runtime::ScoreRequest> truncated;

  // What the model runs: `truncated` when set, else `request` (continuations in order either way).
  std::span<const runtime::ScoreRequest> model_requests() const;
};

// Spec §0.3: move the context's trailing whitespace to the continuations, encode context and
// context+continuation separately, and take the continuation ids as whatever follows len(tok(ctx))
// tokens of the whole encoding. An empty context uses `prefix_token` (lm-eval's BOS-or-EOS token);
// an empty context without one is a halo::Error. With `max_length`, `truncated` is filled as
// left_truncate_score_request says.
BuiltScoreRequest build_score_request(const Codec& codec, std::string_view context,
                                      std::span<const std::string> continuations,
                                      std::optional<int32_t> prefix_token,
                                      std::optional<int64_t> max_length = std::nullopt);

// lm-eval 0.4.9.1's HFLM._loglikelihood_tokens for a causal model: the model input is
// (context + continuation)[-(max_length + 1):][:-1] and the continuation's log-probabilities are
// the last len(continuation) positions, so a pair longer than max_length + 1 tokens loses tokens
// from the left of its context. Returns one request per continuation with that context when any
// pair is too long, nothing otherwise. A continuation longer than max_length is an error (lm-eval
// asserts len(continuation) <= max_length).
std::vector<runtime::ScoreRequest> left_truncate_score_request(const runtime::ScoreRequest& request,
                                                               int64_t max_length);

// lm-eval's generate_until for a causal model: the prompt keeps its last max_length - max_gen_toks
// tokens (tok_batch_encode's left_truncate_len); max_gen_toks >= max_length is an error (lm-eval
// asserts the difference is positive).
std::vector<int32_t> left_truncate_prompt(std::vector<int32_t> prompt, int64_t max_length, int max_gen_toks);

// lm-eval's stop strings for one generation request (docs/lm-eval-rules.md §0.4): the task's `until`
// list plus the decoded EOS string when absent. Generation stops when a stop string appears in the decoded last
// len(tok(S)) + 2 generated tokens; the output is then cut at the first occurrence of each string.
class StopStrings {
 public:
  StopStrings(const Codec& codec, std::span<const std::string> until, const std::string& eos_string);

  bool should_stop(std::span<const int32_t> generated) const;
  // decode(generated, skip_special_tokens=True), then text.split(S)[0] for each non-empty S in order.
  std::string output_text(std::span<const int32_t> generated) const;
  const std::vector<std::string>& strings() const { return strings_; }

 private:
  const Codec* codec_;
  std::vector<std::string> strings_;
  std::vector<size_t> windows_;
};

}  // namespace halo::eval
