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
  runtime::ScoreRequest request;
  std::string context;                     // context with trailing whitespace removed
  std::vector<std::string> continuations;  // continuations with that whitespace prepended
};

// Spec §0.3: move the context's trailing whitespace to the continuations, encode context and
// context+continuation separately, and take the continuation ids as whatever follows len(tok(ctx))
// tokens of the whole encoding. An empty context uses `prefix_token` (lm-eval's BOS-or-EOS token);
// an empty context without one is a halo::Error.
BuiltScoreRequest build_score_request(const Codec& codec, std::string_view context,
                                      std::span<const std::string> continuations,
                                      std::optional<int32_t> prefix_token);

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
